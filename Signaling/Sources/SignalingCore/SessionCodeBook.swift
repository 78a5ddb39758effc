import SignalingModel

/// Eight-digit session codes: single use, expiring, bound to a tenant, with failed-attempt limits per user,
/// per address and per tenant and a lockout once a limit is reached (design notes §4). Owned by one caller.
public struct SessionCodeBook {
    public struct Limits: Sendable {
        public var failuresPerUser: Int
        public var failuresPerAddress: Int
        public var failuresPerTenant: Int
        /// Failures are counted over this window (milliseconds).
        public var windowMilliseconds: Int64
        /// How long a key stays locked once it reaches its limit (milliseconds).
        public var lockoutMilliseconds: Int64

        public init(failuresPerUser: Int = 5, failuresPerAddress: Int = 10, failuresPerTenant: Int = 100,
                    windowMilliseconds: Int64 = 10 * 60_000, lockoutMilliseconds: Int64 = 15 * 60_000) {
            self.failuresPerUser = failuresPerUser
            self.failuresPerAddress = failuresPerAddress
            self.failuresPerTenant = failuresPerTenant
            self.windowMilliseconds = windowMilliseconds
            self.lockoutMilliseconds = lockoutMilliseconds
        }
    }

    struct IssuedCode {
        var tenantID: String
        var sessionID: String
        var expiresAt: Int64
        var used: Bool
    }

    public let limits: Limits
    private var codes: [String: IssuedCode] = [:]
    private var failures: AttemptLimiter
    /// Used and expired codes are remembered this long past expiry, to answer `code_used` / `code_expired`.
    private let memoryMilliseconds: Int64 = 60 * 60_000

    public init(limits: Limits = Limits()) {
        self.limits = limits
        failures = AttemptLimiter(windowMilliseconds: limits.windowMilliseconds,
                                  lockoutMilliseconds: limits.lockoutMilliseconds)
    }

    /// A fresh code for `sessionID`, unique among the codes still remembered.
    public mutating func issue(tenantID: String, sessionID: String, lifetimeMilliseconds: Int64, now: Int64,
                               using generator: inout some RandomNumberGenerator) -> String {
        var code: String
        repeat {
            let number = UInt32.random(in: 0..<100_000_000, using: &generator)
            let digits = String(number)
            code = String(repeating: "0", count: 8 - digits.count) + digits
        } while codes[code] != nil
        codes[code] = IssuedCode(tenantID: tenantID, sessionID: sessionID, expiresAt: now + lifetimeMilliseconds,
                                 used: false)
        return code
    }

    /// The session the code opens, consuming the code. Every failure counts against the user, the address and the
    /// tenant; once any of them reaches its limit, every attempt from it is refused with `code_locked_out`
    /// until the lockout ends, even with a right code.
    public mutating func redeem(code: String, tenantID: String, userID: String, address: String, now: Int64)
        throws(Refusal) -> String
    {
        let keys = [("user:\(tenantID):\(userID)", limits.failuresPerUser), ("address:\(address)", limits.failuresPerAddress),
                    ("tenant:\(tenantID)", limits.failuresPerTenant)]
        if let until = failures.lockedUntil(keys.map(\.0), now: now) {
            throw Refusal(.lockedOut, "Too many wrong session codes; try again in \((until - now + 999) / 1000) seconds.")
        }
        do {
            return try consume(code: code, tenantID: tenantID, now: now)
        } catch {
            failures.recordFailure(keys.map { (key: $0.0, limit: $0.1) }, now: now)
            throw error
        }
    }

    private mutating func consume(code: String, tenantID: String, now: Int64) throws(Refusal) -> String {
        guard code.count == 8, code.allSatisfy(\.isASCIIDigitCharacter),
              var issued = codes[code], issued.tenantID == tenantID
        else {
            throw Refusal(.codeInvalid, "No session has this code.")
        }
        guard !issued.used else { throw Refusal(.codeUsed, "This session code has already been used.") }
        guard issued.expiresAt > now else { throw Refusal(.codeExpired, "This session code has expired.") }
        issued.used = true
        codes[code] = issued
        return issued.sessionID
    }

    /// Withdraws the code of a session that ended before anyone joined: from now on it answers `code_expired`
    /// (a used code stays `code_used`).
    public mutating func revoke(sessionID: String, now: Int64) {
        for (code, issued) in codes where issued.sessionID == sessionID && issued.expiresAt > now {
            codes[code]?.expiresAt = now
        }
    }

    /// Forgets codes long past expiry and counters whose window and lockout are over.
    public mutating func purge(now: Int64) {
        codes = codes.filter { $0.value.expiresAt + memoryMilliseconds > now }
        failures.purge(now: now)
    }

    public var liveCodeCount: Int { codes.count }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
