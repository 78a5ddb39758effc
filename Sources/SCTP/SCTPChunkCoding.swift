import TandemBase

extension SCTPChunk {
    /// Decodes one chunk's value (the bytes after its 4-byte header, without padding) at
    /// `valueStart..<valueEnd` of `bytes` (RFC 9260 §3.3). DATA payloads are slices of `bytes`.
    static func decode(type: UInt8, flags: UInt8, bytes: [UInt8], valueStart: Int, valueEnd: Int,
                       unrecognizedParameters: inout [[UInt8]]) throws(WireError) -> SCTPChunk {
        var reader = ByteReader(bytes, from: valueStart, to: valueEnd)
        switch type {
        case SCTPChunkType.data:
            let tsn = try reader.readUInt32()
            let streamID = try reader.readUInt16()
            let ssn = try reader.readUInt16()
            let ppid = try reader.readUInt32()
            return .data(SCTPDataChunk(tsn: tsn, streamID: streamID, ssn: ssn, ppid: ppid,
                                       unordered: flags & 0x04 != 0, beginning: flags & 0x02 != 0,
                                       ending: flags & 0x01 != 0, immediate: flags & 0x08 != 0,
                                       payload: bytes[reader.offset..<valueEnd]))
        case SCTPChunkType.iData:
            let tsn = try reader.readUInt32()
            let streamID = try reader.readUInt16()
            try reader.skip(2)
            let messageID = try reader.readUInt32()
            let ppidOrFSN = try reader.readUInt32()
            let beginning = flags & 0x02 != 0
            return .data(SCTPDataChunk(tsn: tsn, streamID: streamID, ssn: 0, ppid: beginning ? ppidOrFSN : 0,
                                       unordered: flags & 0x04 != 0, beginning: beginning, ending: flags & 0x01 != 0,
                                       immediate: flags & 0x08 != 0, payload: bytes[reader.offset..<valueEnd],
                                       interleaved: true, messageID: messageID, fragmentSequence: beginning ? 0 : ppidOrFSN))
        case SCTPChunkType.initiation, SCTPChunkType.initiationAck:
            let tag = try reader.readUInt32()
            let window = try reader.readUInt32()
            let outbound = try reader.readUInt16()
            let inbound = try reader.readUInt16()
            let tsn = try reader.readUInt32()
            let (parameters, unrecognized) = try SCTPParameter.decodeList(&reader)
            unrecognizedParameters = unrecognized
            let chunk = SCTPInitChunk(initiateTag: tag, advertisedReceiverWindow: window, outboundStreams: outbound,
                                      inboundStreams: inbound, initialTSN: tsn, parameters: parameters)
            return type == SCTPChunkType.initiation ? .initiation(chunk) : .initiationAck(chunk)
        case SCTPChunkType.sack:
            let cumulative = try reader.readUInt32()
            let window = try reader.readUInt32()
            let gapCount = Int(try reader.readUInt16())
            let duplicateCount = Int(try reader.readUInt16())
            guard reader.remaining >= gapCount * 4 + duplicateCount * 4 else {
                throw .invalid("SACK announces \(gapCount) gap blocks and \(duplicateCount) duplicates, has \(reader.remaining) bytes")
            }
            var gaps: [(start: UInt16, end: UInt16)] = []
            gaps.reserveCapacity(gapCount)
            for _ in 0..<gapCount { gaps.append((try reader.readUInt16(), try reader.readUInt16())) }
            var duplicates: [UInt32] = []
            duplicates.reserveCapacity(duplicateCount)
            for _ in 0..<duplicateCount { duplicates.append(try reader.readUInt32()) }
            return .sack(SCTPSackChunk(cumulativeTSN: cumulative, advertisedReceiverWindow: window,
                                       gapBlocks: gaps, duplicateTSNs: duplicates))
        case SCTPChunkType.heartbeat, SCTPChunkType.heartbeatAck:
            // One Heartbeat Info parameter (§3.3.5); kept whole and echoed back as it came.
            let info = reader.readRest()
            guard info.count >= 4 else { throw .invalid("HEARTBEAT without its info parameter") }
            return type == SCTPChunkType.heartbeat ? .heartbeat(info: info) : .heartbeatAck(info: info)
        case SCTPChunkType.abort:
            return .abort(reflectedTag: flags & 0x01 != 0, causes: try decodeCauses(&reader))
        case SCTPChunkType.error:
            return .error(causes: try decodeCauses(&reader))
        case SCTPChunkType.shutdown:
            return .shutdown(cumulativeTSN: try reader.readUInt32())
        case SCTPChunkType.shutdownAck: return .shutdownAck
        case SCTPChunkType.cookieEcho: return .cookieEcho(cookie: reader.readRest())
        case SCTPChunkType.cookieAck: return .cookieAck
        case SCTPChunkType.shutdownComplete: return .shutdownComplete(reflectedTag: flags & 0x01 != 0)
        case SCTPChunkType.forwardTSN:
            let cumulative = try reader.readUInt32()
            var skipped: [SCTPForwardTSNChunk.Skipped] = []
            skipped.reserveCapacity(reader.remaining / 4)
            while reader.remaining >= 4 {
                skipped.append(.init(streamID: try reader.readUInt16(), ssn: try reader.readUInt16()))
            }
            return .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: cumulative, skipped: skipped))
        case SCTPChunkType.iForwardTSN:
            let cumulative = try reader.readUInt32()
            var skipped: [SCTPForwardTSNChunk.Skipped] = []
            skipped.reserveCapacity(reader.remaining / 8)
            while reader.remaining >= 8 {
                let streamID = try reader.readUInt16()
                let flags = try reader.readUInt16()
                skipped.append(.init(streamID: streamID, unordered: flags & 1 != 0, messageID: try reader.readUInt32()))
            }
            return .forwardTSN(SCTPForwardTSNChunk(newCumulativeTSN: cumulative, skipped: skipped, interleaved: true))
        case SCTPChunkType.reconfig:
            return .reconfig(try decodeReconfigParameters(&reader))
        default:
            return .unknown(type: type, flags: flags, value: reader.readRest())
        }
    }

    private static func decodeCauses(_ reader: inout ByteReader) throws(WireError) -> [SCTPErrorCause] {
        var causes: [SCTPErrorCause] = []
        while reader.remaining >= 4 {
            let code = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            guard length >= 4 else { throw .invalid("error cause length \(length) below 4") }
            causes.append(SCTPErrorCause(code: code, info: try reader.readBytes(length - 4)))
            try reader.skip(min(padding(length), reader.remaining))
        }
        return causes
    }

    private static func decodeReconfigParameters(_ reader: inout ByteReader) throws(WireError) -> [SCTPReconfigParameter] {
        var parameters: [SCTPReconfigParameter] = []
        while reader.remaining >= 4 {
            let type = try reader.readUInt16()
            let length = Int(try reader.readUInt16())
            guard length >= 4 else { throw .invalid("RE-CONFIG parameter length \(length) below 4") }
            let value = try reader.readBytes(length - 4)
            try reader.skip(min(padding(length), reader.remaining))
            var body = ByteReader(value)
            switch type {
            case SCTPReconfigParameter.outgoingResetType:
                let request = try body.readUInt32()
                let response = try body.readUInt32()
                let lastTSN = try body.readUInt32()
                parameters.append(.outgoingReset(requestSequence: request, responseSequence: response,
                                                 senderLastTSN: lastTSN, streams: try readStreams(&body)))
            case SCTPReconfigParameter.incomingResetType:
                let request = try body.readUInt32()
                parameters.append(.incomingReset(requestSequence: request, streams: try readStreams(&body)))
            case SCTPReconfigParameter.responseType:
                let response = try body.readUInt32()
                let result = try body.readUInt32()
                parameters.append(.response(responseSequence: response, result: result))
            default:
                parameters.append(.other(type: type, value: value))
            }
        }
        guard !parameters.isEmpty, parameters.count <= 2 else {
            throw .invalid("RE-CONFIG carries \(parameters.count) parameters (RFC 6525 §3.1 allows one or two)")
        }
        return parameters
    }

    private static func readStreams(_ body: inout ByteReader) throws(WireError) -> [UInt16] {
        var streams: [UInt16] = []
        while body.remaining >= 2 { streams.append(try body.readUInt16()) }
        return streams
    }

    /// The chunk's type code.
    var type: UInt8 {
        switch self {
        case let .data(chunk): chunk.interleaved ? SCTPChunkType.iData : SCTPChunkType.data
        case .initiation: SCTPChunkType.initiation
        case .initiationAck: SCTPChunkType.initiationAck
        case .sack: SCTPChunkType.sack
        case .heartbeat: SCTPChunkType.heartbeat
        case .heartbeatAck: SCTPChunkType.heartbeatAck
        case .abort: SCTPChunkType.abort
        case .shutdown: SCTPChunkType.shutdown
        case .shutdownAck: SCTPChunkType.shutdownAck
        case .error: SCTPChunkType.error
        case .cookieEcho: SCTPChunkType.cookieEcho
        case .cookieAck: SCTPChunkType.cookieAck
        case .shutdownComplete: SCTPChunkType.shutdownComplete
        case let .forwardTSN(chunk): chunk.interleaved ? SCTPChunkType.iForwardTSN : SCTPChunkType.forwardTSN
        case .reconfig: SCTPChunkType.reconfig
        case let .unknown(type, _, _): type
        }
    }

    /// Appends the chunk with its header and padding (RFC 9260 §3.2).
    func encode(into writer: inout SCTPPacketWriter) {
        let start = writer.count
        writer.write(type)
        writer.write(flags)
        writer.write(UInt16(0))
        switch self {
        case let .data(chunk):
            writer.write(chunk.tsn)
            writer.write(chunk.streamID)
            if chunk.interleaved {
                writer.write(UInt16(0))
                writer.write(chunk.messageID)
                writer.write(chunk.beginning ? chunk.ppid : chunk.fragmentSequence)
            } else {
                writer.write(chunk.ssn)
                writer.write(chunk.ppid)
            }
            writer.write(bytes: chunk.payload)
        case let .initiation(chunk), let .initiationAck(chunk):
            writer.write(chunk.initiateTag)
            writer.write(chunk.advertisedReceiverWindow)
            writer.write(chunk.outboundStreams)
            writer.write(chunk.inboundStreams)
            writer.write(chunk.initialTSN)
            for parameter in chunk.parameters { parameter.encode(into: &writer) }
        case let .sack(chunk):
            writer.write(chunk.cumulativeTSN)
            writer.write(chunk.advertisedReceiverWindow)
            writer.write(UInt16(chunk.gapBlocks.count))
            writer.write(UInt16(chunk.duplicateTSNs.count))
            for gap in chunk.gapBlocks {
                writer.write(gap.start)
                writer.write(gap.end)
            }
            for tsn in chunk.duplicateTSNs { writer.write(tsn) }
        case let .heartbeat(info), let .heartbeatAck(info):
            writer.write(bytes: info)
        case let .abort(_, causes), let .error(causes):
            for cause in causes {
                writer.write(cause.code)
                writer.write(UInt16(4 + cause.info.count))
                writer.write(bytes: cause.info)
                writer.writeZeros(padding(cause.info.count))
            }
        case let .shutdown(cumulativeTSN):
            writer.write(cumulativeTSN)
        case .shutdownAck, .cookieAck, .shutdownComplete:
            break
        case let .cookieEcho(cookie):
            writer.write(bytes: cookie)
        case let .forwardTSN(chunk):
            writer.write(chunk.newCumulativeTSN)
            for entry in chunk.skipped {
                writer.write(entry.streamID)
                if chunk.interleaved {
                    writer.write(UInt16(entry.unordered ? 1 : 0))
                    writer.write(entry.messageID)
                } else {
                    writer.write(entry.ssn)
                }
            }
        case let .reconfig(parameters):
            for parameter in parameters { parameter.encode(into: &writer) }
        case let .unknown(_, _, value):
            writer.write(bytes: value)
        }
        let length = writer.count - start
        writer.overwrite(UInt16(length), at: start + 2)
        writer.writeZeros(padding(length))
    }

    var flags: UInt8 {
        switch self {
        case let .data(chunk):
            (chunk.immediate ? 0x08 : 0) | (chunk.unordered ? 0x04 : 0) | (chunk.beginning ? 0x02 : 0) | (chunk.ending ? 0x01 : 0)
        case let .abort(reflected, _), let .shutdownComplete(reflected): reflected ? 1 : 0
        case let .unknown(_, flags, _): flags
        default: 0
        }
    }
}

extension SCTPReconfigParameter {
    func encode(into writer: inout SCTPPacketWriter) {
        var body = SCTPPacketWriter(capacity: 32)
        let type: UInt16
        switch self {
        case let .outgoingReset(request, response, lastTSN, streams):
            type = Self.outgoingResetType
            body.write(request)
            body.write(response)
            body.write(lastTSN)
            for stream in streams { body.write(stream) }
        case let .incomingReset(request, streams):
            type = Self.incomingResetType
            body.write(request)
            for stream in streams { body.write(stream) }
        case let .response(response, result):
            type = Self.responseType
            body.write(response)
            body.write(result)
        case let .other(otherType, value):
            type = otherType
            body.write(bytes: value)
        }
        SCTPParameter.writeTLV(type: type, value: body.bytes, into: &writer)
    }
}
