import SignalingCore
import SignalingModel

/// What `/auth/token` needs beyond checking a password: failed sign-ins counted per user name and per address with a
/// lockout (against password guessing, OWASP Authentication Cheat Sheet "Account lockout"), and TOTP codes used at
/// most once (RFC 6238 §5.2). One actor, so that two requests with the same code cannot both be first.
public actor SignInGuard {
    public struct Limits: Sendable {
        public var failuresPerUser: Int
        public var failuresPerAddress: Int
        public var windowMilliseconds: Int64
        public var lockoutMilliseconds: Int64

        public init(failuresPerUser: Int = 10, failuresPerAddress: Int = 30, windowMilliseconds: Int64 = 15 * 60_000,
                    lockoutMilliseconds: Int64 = 15 * 60_000) {
            self.failuresPerUser = failuresPerUser
            self.failuresPerAddress = failuresPerAddress
            self.windowMilliseconds = windowMilliseconds
            self.lockoutMilliseconds = lockoutMilliseconds
        }
    }

    let limits: Limits
    private var failures: AttemptLimiter
    /// `tenant/user` → the last TOTP time step accepted (also kept in the user's record, across restarts).
    private var lastSteps: [String: Int64] = [:]

    public init(limits: Limits) {
        self.limits = limits
        failures = AttemptLimiter(windowMilliseconds: limits.windowMilliseconds,
                                  lockoutMilliseconds: limits.lockoutMilliseconds)
    }

    private func keys(tenantID: String, username: String, address: String) -> [(key: String, limit: Int)] {
        [("user:\(tenantID):\(username)", limits.failuresPerUser), ("address:\(address)", limits.failuresPerAddress)]
    }

    /// Refuses with `sign_in_locked_out` while the user name or the address is locked, even with the right password.
    public func checkNotLockedOut(tenantID: String, username: String, address: String, now: Int64) throws(Refusal) {
        let keys = keys(tenantID: tenantID, username: username, address: address).map(\.key)
        if let until = failures.lockedUntil(keys, now: now) {
            throw Refusal(.signInLockedOut,
                          "Too many failed sign-ins; try again in \((until - now + 59_999) / 60_000) minutes.")
        }
    }

    /// A wrong password or TOTP code (also for an unknown user name, which is not told apart).
    public func recordFailure(tenantID: String, username: String, address: String, now: Int64) {
        failures.recordFailure(keys(tenantID: tenantID, username: username, address: address), now: now)
    }

    /// Claims TOTP time step `step` for `user`: true once, false for that step or an earlier one ever after.
    public func claimTOTPStep(_ step: Int64, for user: User) -> Bool {
        let key = "\(user.tenantID)/\(user.id)"
        guard step > max(lastSteps[key] ?? -1, user.totpLastStep ?? -1) else { return false }
        lastSteps[key] = step
        return true
    }

    public func purge(now: Int64) { failures.purge(now: now) }
}
