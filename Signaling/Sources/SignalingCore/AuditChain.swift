import Crypto
import Foundation
import SignalingModel
import TandemBase

/// The audit log's hash chain: each record carries SHA-256 of its predecessor, and its own hash covers its
/// sequence number, its entry and that previous hash, so any edit, deletion or reordering shows (design notes §4).
public enum AuditChain {
    /// The previous hash of the first record ever written.
    public static let genesisHash = String(repeating: "0", count: 64)

    struct Sealed: Encodable {
        var sequence: Int64
        var previousHash: String
        var entry: AuditEntry
    }

    /// Hex SHA-256 over the canonical JSON (sorted keys) of sequence, previous hash and entry.
    public static func hash(sequence: Int64, entry: AuditEntry, previousHash: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain values cannot fail; an empty document would still chain deterministically.
        let bytes = (try? encoder.encode(Sealed(sequence: sequence, previousHash: previousHash, entry: entry))) ?? Data()
        return Hex.encode(SHA256.hash(data: bytes))
    }

    public static func seal(_ entry: AuditEntry, sequence: Int64, previousHash: String) -> AuditRecord {
        AuditRecord(sequence: sequence, entry: entry, previousHash: previousHash,
                    hash: hash(sequence: sequence, entry: entry, previousHash: previousHash))
    }

    /// Checks records one by one, in sequence order, from an anchor (the genesis, or the last record that
    /// retention removed).
    public struct Verifier {
        public private(set) var checked = 0
        private var expectedPrevious: String
        private var expectedSequence: Int64?

        public init(anchorHash: String = AuditChain.genesisHash, anchorSequence: Int64? = nil) {
            expectedPrevious = anchorHash
            expectedSequence = anchorSequence.map { $0 + 1 }
        }

        /// Nil when the record continues the chain, else a sentence saying what is wrong with it.
        public mutating func check(_ record: AuditRecord) -> String? {
            if let expectedSequence, record.sequence != expectedSequence {
                return "record \(record.sequence): expected sequence \(expectedSequence) (a record is missing or out of order)"
            }
            if record.previousHash != expectedPrevious {
                return "record \(record.sequence): previous hash does not match the record before it"
            }
            let recomputed = AuditChain.hash(sequence: record.sequence, entry: record.entry,
                                             previousHash: record.previousHash)
            if !ConstantTime.equal(Array(recomputed.utf8), Array(record.hash.utf8)) {
                return "record \(record.sequence): contents do not match its hash (edited)"
            }
            expectedPrevious = record.hash
            expectedSequence = record.sequence + 1
            checked += 1
            return nil
        }
    }
}

/// How a retention record names the anchor it moved the chain to (two `details` keys), so that the chain vouches
/// for its own starting point.
public enum AuditAnchorClaim {
    public static let sequenceKey = "anchorSequence"
    public static let hashKey = "anchorHash"
}
