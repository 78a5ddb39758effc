import COpenSSL

/// OpenSSL's thread-local error queue: cleared before each call into OpenSSL, drained into text after one fails.
enum OpenSSLErrorQueue {
    static func clear() { ERR_clear_error() }

    /// Every queued error as readable text (`ERR_error_string_n`), oldest first; `fallback` when the queue is empty.
    static func drain(fallback: String) -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }
}
