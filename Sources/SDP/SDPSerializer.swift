extension SessionDescription {
    /// The description as text: fields in RFC 8866 §5 order, each line ending in CRLF.
    /// Values are written as they are: parsed values never hold CR, LF or NUL, and text set by hand must not either.
    public func serialized() -> String {
        var lines = ["v=0", "o=" + origin.fieldValue, "s=" + sessionName]
        if let information { lines.append("i=" + information) }
        if let uri { lines.append("u=" + uri) }
        lines += emails.map { "e=" + $0 }
        lines += phones.map { "p=" + $0 }
        if let connection { lines.append("c=" + connection.fieldValue) }
        lines += bandwidths.map { "b=" + $0.fieldValue }
        for timing in timings {
            lines.append("t=" + timing.fieldValue)
            lines += timing.repeats.map { "r=" + $0 }
        }
        if let timeZones { lines.append("z=" + timeZones) }
        if let encryptionKey { lines.append("k=" + encryptionKey) }
        lines += attributes.map { "a=" + $0.description }
        for section in media { lines += section.lines }
        return lines.map { $0 + "\r\n" }.joined()
    }
}

extension MediaDescription {
    /// The section's lines in RFC 8866 §5 order, starting with `m=`.
    var lines: [String] {
        let port = "\(self.port)" + (numberOfPorts.map { "/\($0)" } ?? "")
        var lines = ["m=" + ([kind, port, proto] + formats).joined(separator: " ")]
        if let title { lines.append("i=" + title) }
        lines += connections.map { "c=" + $0.fieldValue }
        lines += bandwidths.map { "b=" + $0.fieldValue }
        if let encryptionKey { lines.append("k=" + encryptionKey) }
        lines += attributes.map { "a=" + $0.description }
        return lines
    }
}
