#if canImport(Glibc)
import Glibc
#endif

/// A private Xvfb for one test: started on a display number it picks itself (`-displayfd`, so
/// parallel tests never race for one), listening only on its Unix socket, stopped in deinit.
/// Started with posix_spawn and reaped with waitpid.
final class XvfbServer {
    /// Where Xvfb is installed, if it is (Debian package `xvfb`; `scripts/setup` installs it).
    static let executable: String? = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"].first { access($0, X_OK) == 0 }
    static let missing = "Xvfb is not installed (apt-get install xvfb, or run scripts/setup)"

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The display name, e.g. ":3".
    let display: String
    private let pid: pid_t

    /// `screens` in Xvfb's WxHxD notation; `arguments` are added as they are (e.g.
    /// `["-extension", "MIT-SHM"]`).
    init(screens: [String] = ["1280x720x24"], arguments: [String] = []) throws {
        guard let executable = Self.executable else { throw StartFailure(description: Self.missing) }
        let arguments = [executable] + screens.enumerated().flatMap { ["-screen", "\($0.offset)", $0.element] }
            + ["-nolisten", "tcp", "-noreset", "-displayfd", "1"] + arguments
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw StartFailure(description: "pipe failed: errno \(errno)") }
        // Other tests' servers must not inherit the write end, or its end of file would never come.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The test runner's threads block signals, and a child inherits the mask: unblocked and
        // defaulted, SIGTERM stops the server again.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigaddset(&signals, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else { throw StartFailure(description: "posix_spawn \(executable) failed: \(spawned)") }

        // Xvfb writes the display number once it accepts connections; end of file means it exited.
        var output: [UInt8] = []
        var byte: UInt8 = 0
        while read(pipeEnds[0], &byte, 1) == 1, byte != UInt8(ascii: "\n") { output.append(byte) }
        guard let number = Int(String(decoding: output, as: UTF8.self)), access("/tmp/.X11-unix/X\(number)", F_OK) == 0 else {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw StartFailure(description: "Xvfb did not start (wait status \(status)); run \(arguments.joined(separator: " ")) to see why")
        }
        self.pid = pid
        display = ":\(number)"
    }

    deinit {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    }
}
