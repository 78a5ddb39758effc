import Testing
@testable import TandemBase

@Suite struct ByteCodingTests {
    @Test func roundTripsBigEndianFields() throws {
        var writer = ByteWriter()
        writer.write(UInt8(0xAB))
        writer.write(UInt16(0x1234))
        writer.writeUInt24(0x56789A)
        writer.write(UInt32(0xDEADBEEF))
        writer.write(UInt64(0x0102030405060708))
        #expect(writer.bytes.count == 18)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt8() == 0xAB)
        #expect(try reader.readUInt16() == 0x1234)
        #expect(try reader.readUInt24() == 0x56789A)
        #expect(try reader.readUInt32() == 0xDEADBEEF)
        #expect(try reader.readUInt64() == 0x0102030405060708)
        #expect(reader.isAtEnd)
    }

    @Test func refusesToReadPastTheEnd() {
        var reader = ByteReader([1, 2, 3])
        #expect(throws: WireError.truncated(offset: 0, needed: 4)) { try reader.readUInt32() }
        #expect(reader.offset == 0)
    }
}

@Suite struct AddressTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::1", "::1"),
        ("::", "::"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ])
    func parsesAndPrintsCanonicalText(input: String, canonical: String) throws {
        let ip = try #require(IPAddress(input))
        #expect(ip.description == canonical)
    }

    @Test(arguments: ["256.1.1.1", "1.2.3", "1::2::3", "abcd", "", "1.2.3.4.5", "12345::"])
    func rejectsMalformedAddresses(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func parsesEndpoints() throws {
        #expect(TransportAddress("127.0.0.1:8080") == TransportAddress(ip: .loopbackV4, port: 8080))
        let v6 = try #require(TransportAddress("[::1]:3478"))
        #expect(v6.description == "[::1]:3478")
        #expect(TransportAddress("127.0.0.1:99999") == nil)
    }

    @Test func comparesSecretsWithoutShortcuts() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 3]))
    }
}
