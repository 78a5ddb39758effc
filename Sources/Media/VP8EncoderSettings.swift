/// How a `VP8Encoder` is set up; bitrate and frame rate can change later.
public struct VP8EncoderSettings: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Target bitrate in bits per second.
    public var bitrate: Int
    public var frameRate: Int
    /// libvpx cpu-used (VP8E_SET_CPUUSED). In realtime mode a positive value lets libvpx pick
    /// its speed from the measured encode time, aiming to use (16 − cpuUsed)/16 of each frame
    /// interval (vp8 `auto_select_speed`); a negative value fixes the speed at −cpuUsed.
    public var cpuUsed: Int
    /// Encoder threads (g_threads).
    public var threads: Int
    /// VP8E_SET_SCREEN_CONTENT_MODE: tune rate control and motion search for desktop content.
    public var screenContent: Bool
    /// Longest run of frames between automatic key frames (kf_max_dist); key frames are
    /// otherwise made only on request.
    public var keyframeInterval: Int
    public var minQuantizer: Int
    public var maxQuantizer: Int

    public init(width: Int, height: Int, bitrate: Int, frameRate: Int = 30, cpuUsed: Int? = nil, threads: Int? = nil,
                screenContent: Bool = true, keyframeInterval: Int = 3000, minQuantizer: Int = 2, maxQuantizer: Int = 56) {
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.frameRate = frameRate
        self.cpuUsed = cpuUsed ?? Self.cpuUsed(width: width, height: height)
        self.threads = threads ?? Self.threads(width: width, height: height)
        self.screenContent = screenContent
        self.keyframeInterval = keyframeInterval
        self.minQuantizer = minQuantizer
        self.maxQuantizer = maxQuantizer
    }

    /// cpu-used by resolution. Measured here at 1080p with 2 threads (environment notes): 8 costs
    /// about 10 ms a frame, 16 about 3 ms; small pictures can afford the slower, sharper settings.
    public static func cpuUsed(width: Int, height: Int) -> Int {
        switch width * height {
        case ..<(640 * 480 + 1): 6
        case ..<(1280 * 720 + 1): 10
        default: 16
        }
    }

    /// Threads by resolution: one up to VGA, two above (the machines this targets have 2+ cores).
    public static func threads(width: Int, height: Int) -> Int {
        width * height > 640 * 480 ? 2 : 1
    }
}
