import Testing
import TandemBase
@testable import SDP

/// Damaged input either parses or throws `SDPParseError`; whatever parses serialises to text that parses back to the same value.
@Suite struct SDPRobustnessTests {
    @Test(arguments: SDPFixtures.names)
    func randomByteDamageNeverCrashes(name: String) throws {
        let original = Array(try SDPFixtures.text(name).utf8)
        var generator = SeededGenerator(seed: 0x5D9)
        let replacements: [UInt8] = [0x00, 0x0A, 0x0D, 0x20, 0x3A, 0x2F, 0x3D, 0x61, 0x6D, 0x39, 0xC3, 0xFF]
        var parsedCount = 0
        var failedCount = 0
        for _ in 0..<100 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = replacements[Int.random(in: 0..<replacements.count, using: &generator)]
            }
            do {
                let parsed = try SessionDescription(parsing: bytes)
                #expect(try SessionDescription(parsing: parsed.serialized()) == parsed)
                parsedCount += 1
            } catch {
                failedCount += 1
            }
        }
        #expect(parsedCount > 0)
        #expect(failedCount > 0)
    }
}
