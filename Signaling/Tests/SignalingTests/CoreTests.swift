import Foundation
import Testing
import SignalingCore
import SignalingModel
import TandemBase

@Suite("Address ranges")
struct AddressRangeTests {
    @Test("IPv4 and IPv6 prefixes match by their leading bits only")
    func prefixes() throws {
        let ten = try #require(AddressRange("10.0.0.0/8"))
        #expect(ten.contains(try #require(IPAddress("10.200.3.4"))))
        #expect(!ten.contains(try #require(IPAddress("11.0.0.1"))))
        #expect(!ten.contains(try #require(IPAddress("::ffff:10.0.0.1"))))
        let odd = try #require(AddressRange("192.168.1.128/25"))
        #expect(odd.contains(try #require(IPAddress("192.168.1.200"))))
        #expect(!odd.contains(try #require(IPAddress("192.168.1.127"))))
        let v6 = try #require(AddressRange("2001:db8::/32"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:1::5"))))
        #expect(!v6.contains(try #require(IPAddress("2001:db9::1"))))
        #expect(try #require(AddressRange("127.0.0.1")).contains(.loopbackV4))
        #expect(try #require(AddressRange("0.0.0.0/0")).contains(try #require(IPAddress("8.8.8.8"))))
    }

    @Test("Malformed ranges are rejected, not guessed")
    func malformed() {
        for text in ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "nonsense", "::/129", "10.0.0.0/", ""] {
            #expect(AddressRange(text) == nil, "\(text)")
        }
    }
}

@Suite("RBAC")
struct AccessControlTests {
    let helper = User(id: "h", tenantID: "acme", username: "h", displayName: "Helper", groups: ["helpdesk"])
    let finance = Device(id: "d1", tenantID: "acme", name: "Finance PC", groups: ["finance"])
    let lab = Device(id: "d2", tenantID: "acme", name: "Lab PC", groups: ["lab"])

    @Test("Built-in roles grant their permissions through group assignments")
    func builtInRoles() {
        let assignments = [RoleAssignment(id: "a", tenantID: "acme", roleID: Role.readOnlyOperator.id,
                                          userGroups: ["helpdesk"])]
        let held = AccessControl.permissions(user: helper, device: finance, roles: [], assignments: assignments)
        #expect(held == [.viewScreen])
        #expect(throws: Refusal(.permissionMissing, "Your roles do not include the permission full_control on device Finance PC.")) {
            try AccessControl.require(.fullControl, held: held, device: finance)
        }
        let full = AccessControl.permissions(
            user: helper, device: finance, roles: [],
            assignments: [RoleAssignment(id: "a", tenantID: "acme", roleID: Role.helpDeskOperator.id, userIDs: ["h"])])
        #expect(full == [.viewScreen, .fullControl, .elevation])
    }

    @Test("Custom roles scoped to device groups cover only those devices")
    func scopedCustomRole() {
        let custom = Role(id: "unattended", tenantID: "acme", name: "Lab admin",
                          permissions: [.viewScreen, .unattendedControl])
        let assignments = [RoleAssignment(id: "a", tenantID: "acme", roleID: "unattended", userGroups: ["helpdesk"],
                                          deviceGroups: ["lab"])]
        #expect(AccessControl.permissions(user: helper, device: lab, roles: [custom], assignments: assignments)
                == [.viewScreen, .unattendedControl])
        #expect(AccessControl.permissions(user: helper, device: finance, roles: [custom], assignments: assignments).isEmpty)
        #expect(AccessControl.permissions(user: helper, device: nil, roles: [custom], assignments: assignments).isEmpty)
    }

    @Test("Assignments and roles of another tenant never count")
    func otherTenant() {
        let foreignRole = Role(id: "x", tenantID: "evil", name: "X", permissions: Permission.allCases)
        let assignments = [
            RoleAssignment(id: "a", tenantID: "evil", roleID: Role.helpDeskOperator.id, userGroups: ["helpdesk"]),
            RoleAssignment(id: "b", tenantID: "acme", roleID: "x", userGroups: ["helpdesk"]),
        ]
        #expect(AccessControl.permissions(user: helper, device: nil, roles: [foreignRole], assignments: assignments).isEmpty)
    }
}

@Suite("Conditional access")
struct ConditionalAccessTests {
    let tenant = Tenant(id: "acme", name: "Acme", namedRanges: ["office": ["10.1.0.0/16"], "tor": ["203.0.113.0/24"]])

    func context(_ stage: ConditionalAccess.Stage = .sessionStart, party: Party? = .helper, groups: [String] = ["helpdesk"],
                 mfa: Bool = false, address: String? = "10.1.2.3", compliant: Bool? = true) -> ConditionalAccess.Context {
        .init(stage: stage, party: party, userGroups: groups, usedMFA: mfa, address: address, deviceCompliant: compliant)
    }

    @Test("Each requirement refuses with its own code and names the deciding policy")
    func refusalMatrix() {
        let cases: [(ConditionalAccessPolicy, ConditionalAccess.Context, RefusalCode)] = [
            (.init(id: "p", tenantID: "acme", name: "Block contractors", userGroups: ["helpdesk"], result: .block),
             context(), .policyBlocked),
            (.init(id: "p", tenantID: "acme", name: "No Tor", blockedRanges: ["tor"]),
             context(address: "203.0.113.9"), .addressBlocked),
            (.init(id: "p", tenantID: "acme", name: "Office only", allowedRanges: ["office"]),
             context(address: "192.0.2.1"), .addressNotAllowed),
            (.init(id: "p", tenantID: "acme", name: "MFA", requireMFA: true), context(mfa: false), .mfaRequired),
            (.init(id: "p", tenantID: "acme", name: "Compliant", requireCompliantDevice: true),
             context(compliant: false), .deviceNotCompliant),
            (.init(id: "p", tenantID: "acme", name: "Compliant", requireCompliantDevice: true),
             context(compliant: nil), .deviceNotCompliant),
        ]
        for (policy, context, code) in cases {
            let evaluation = ConditionalAccess.evaluate(policies: [policy], tenant: tenant, context: context)
            #expect(!evaluation.allowed)
            #expect(evaluation.refusal?.code == code)
            #expect(evaluation.decidingPolicyID == "p")
            #expect(evaluation.summary.contains("Refused by policy p"))
        }
    }

    @Test("Satisfied and non-applicable policies allow, and the trace says why")
    func allowedWithTrace() {
        let policies = [
            ConditionalAccessPolicy(id: "a", tenantID: "acme", name: "Sharers from office", priority: 1,
                                    parties: [.sharer], allowedRanges: ["office"]),
            ConditionalAccessPolicy(id: "b", tenantID: "acme", name: "MFA for helpdesk", priority: 2,
                                    userGroups: ["helpdesk"], requireMFA: true),
            ConditionalAccessPolicy(id: "c", tenantID: "acme", name: "Finance blocked", priority: 3,
                                    userGroups: ["finance"], result: .block),
            ConditionalAccessPolicy(id: "d", tenantID: "acme", name: "Disabled", enabled: false, result: .block),
            ConditionalAccessPolicy(id: "e", tenantID: "other", name: "Foreign", result: .block),
        ]
        let evaluation = ConditionalAccess.evaluate(policies: policies, tenant: tenant,
                                                    context: context(mfa: true, address: "192.0.2.1"))
        #expect(evaluation.allowed)
        #expect(evaluation.trace.map(\.outcome) == ["not_applicable", "satisfied", "not_applicable"])
        #expect(evaluation.summary == "Allowed: satisfied MFA for helpdesk.")
    }

    @Test("At sign-in only policies that target both parties apply")
    func signInStage() {
        let helperOnly = ConditionalAccessPolicy(id: "h", tenantID: "acme", name: "Helpers MFA", parties: [.helper],
                                                 requireMFA: true)
        let everyone = ConditionalAccessPolicy(id: "e", tenantID: "acme", name: "Everyone MFA", requireMFA: true)
        #expect(ConditionalAccess.evaluate(policies: [helperOnly], tenant: tenant,
                                           context: context(.signIn, party: nil)).allowed)
        #expect(ConditionalAccess.evaluate(policies: [everyone], tenant: tenant,
                                           context: context(.signIn, party: nil)).refusal?.code == .mfaRequired)
    }

    @Test("Policies run in priority order and the first refusal decides")
    func priority() {
        let policies = [
            ConditionalAccessPolicy(id: "late", tenantID: "acme", name: "Late", priority: 50, result: .block),
            ConditionalAccessPolicy(id: "early", tenantID: "acme", name: "Early", priority: 10, requireMFA: true),
        ]
        let evaluation = ConditionalAccess.evaluate(policies: policies, tenant: tenant, context: context())
        #expect(evaluation.decidingPolicyID == "early")
        #expect(evaluation.trace.count == 1)
    }
}

@Suite("Session codes")
struct SessionCodeTests {
    @Test("Codes have eight digits, open their session once, and only in their tenant")
    func singleUse() throws {
        var book = SessionCodeBook()
        var random = SeededGenerator(seed: 1)
        let code = book.issue(tenantID: "acme", sessionID: "s1", lifetimeMilliseconds: 60_000, now: 0, using: &random)
        #expect(code.count == 8 && code.allSatisfy(\.isNumber))
        #expect(throws: Refusal(.codeInvalid, "No session has this code.")) {
            try book.redeem(code: code, tenantID: "other", userID: "x", address: "10.0.0.9", now: 1)
        }
        #expect(try book.redeem(code: code, tenantID: "acme", userID: "u", address: "10.0.0.1", now: 1) == "s1")
        #expect(throws: Refusal(.codeUsed, "This session code has already been used.")) {
            try book.redeem(code: code, tenantID: "acme", userID: "u", address: "10.0.0.1", now: 2)
        }
    }

    @Test("An expired code is refused as expired")
    func expiry() {
        var book = SessionCodeBook()
        var random = SeededGenerator(seed: 2)
        let code = book.issue(tenantID: "acme", sessionID: "s1", lifetimeMilliseconds: 1000, now: 0, using: &random)
        #expect(throws: Refusal(.codeExpired, "This session code has expired.")) {
            try book.redeem(code: code, tenantID: "acme", userID: "u", address: "a", now: 1000)
        }
    }

    @Test("Guessing locks out the user, then the address, then the tenant; the lockout ends")
    func lockouts() throws {
        var book = SessionCodeBook(limits: .init(failuresPerUser: 3, failuresPerAddress: 5, failuresPerTenant: 8,
                                                 windowMilliseconds: 60_000, lockoutMilliseconds: 10_000))
        var random = SeededGenerator(seed: 3)
        let code = book.issue(tenantID: "acme", sessionID: "s1", lifetimeMilliseconds: 600_000, now: 0, using: &random)
        let wrong = code == "00000000" ? "00000001" : "00000000"
        func attempt(_ candidate: String, user: String, address: String, at now: Int64) -> RefusalCode? {
            do { _ = try book.redeem(code: candidate, tenantID: "acme", userID: user, address: address, now: now); return nil }
            catch { return error.code }
        }
        for _ in 0..<3 { #expect(attempt(wrong, user: "u1", address: "a1", at: 1) == .codeInvalid) }
        // Locked even with the right code.
        #expect(attempt(code, user: "u1", address: "a2", at: 2) == .lockedOut)
        // Another user on the same address: two more failures lock the address.
        for _ in 0..<2 { #expect(attempt(wrong, user: "u2", address: "a1", at: 3) == .codeInvalid) }
        #expect(attempt(code, user: "u3", address: "a1", at: 4) == .lockedOut)
        // Three more failures elsewhere reach the tenant's limit of eight.
        for index in 0..<3 { #expect(attempt(wrong, user: "v\(index)", address: "b\(index)", at: 5) == .codeInvalid) }
        #expect(attempt(code, user: "fresh", address: "fresh", at: 6) == .lockedOut)
        // After the lockout the right code works.
        #expect(attempt(code, user: "fresh", address: "fresh", at: 20_000) == nil)
    }

    @Test("A withdrawn code answers expired; a used one stays used")
    func revoke() throws {
        var book = SessionCodeBook()
        var random = SeededGenerator(seed: 4)
        let open = book.issue(tenantID: "t", sessionID: "s1", lifetimeMilliseconds: 60_000, now: 0, using: &random)
        let used = book.issue(tenantID: "t", sessionID: "s2", lifetimeMilliseconds: 60_000, now: 0, using: &random)
        _ = try book.redeem(code: used, tenantID: "t", userID: "u", address: "a", now: 1)
        book.revoke(sessionID: "s1", now: 2)
        book.revoke(sessionID: "s2", now: 2)
        #expect(throws: Refusal(.codeExpired, "This session code has expired.")) {
            try book.redeem(code: open, tenantID: "t", userID: "u", address: "a", now: 3)
        }
        #expect(throws: Refusal(.codeUsed, "This session code has already been used.")) {
            try book.redeem(code: used, tenantID: "t", userID: "u", address: "a", now: 3)
        }
    }

    @Test("Malformed codes are refused without crashing")
    func malformed() {
        var book = SessionCodeBook()
        for code in ["", "1234567", "123456789", "abcdefgh", "１２３４５６７８"] {
            #expect(throws: Refusal.self) { try book.redeem(code: code, tenantID: "t", userID: "u", address: "a", now: 0) }
        }
    }
}

@Suite("Audit chain")
struct AuditChainTests {
    func entry(_ index: Int) -> AuditEntry {
        AuditEntry(time: Int64(index), tenantID: "acme", actor: "system", action: "a", outcome: .info, reason: "r\(index)")
    }

    @Test("Sealed records chain; any changed field breaks verification")
    func chain() {
        var records: [AuditRecord] = []
        var previous = AuditChain.genesisHash
        for index in 1...3 {
            let record = AuditChain.seal(entry(index), sequence: Int64(index), previousHash: previous)
            records.append(record)
            previous = record.hash
        }
        var verifier = AuditChain.Verifier(anchorSequence: 0)
        #expect(records.allSatisfy { verifier.check($0) == nil })

        var edited = records
        edited[1].entry.outcome = .allowed
        var second = AuditChain.Verifier(anchorSequence: 0)
        #expect(edited.compactMap { second.check($0) }.first?.contains("edited") == true)

        var third = AuditChain.Verifier(anchorSequence: 0)
        #expect([records[0], records[2]].compactMap { third.check($0) }.first?.contains("missing") == true)
    }
}

@Suite("TURN credentials")
struct TURNCredentialTests {
    @Test("Username is expiry:session and the password is base64 HMAC-SHA1 of it (coturn use-auth-secret)")
    func restCredentials() {
        let credentials = TURNCredentials.make(secret: "north", sessionID: "s1", expiresAt: 1_700_000_000)
        #expect(credentials.username == "1700000000:s1")
        // Computed independently with Python's hmac module.
        #expect(credentials.password == "QvP5NTCoHOiDw4o+Ut4C0xnk7uk=")
        #expect(Data(base64Encoded: credentials.password)?.count == 20)
    }
}

@Suite("Device binding")
struct DeviceBindingTests {
    let laptop = Device(id: "pc-1", tenantID: "acme", name: "Sam's PC", ownerUserID: "sam")

    func user(_ id: String, tenant: String = "acme", deviceClaim: String? = nil) -> Principal {
        Principal(kind: .user, tenantID: tenant, subject: id, displayName: id, deviceID: deviceClaim, issuer: "test")
    }

    @Test("The owner, or a token issued on the device, may name it; anyone else is refused with device_not_bound")
    func binding() throws {
        try DeviceBinding.check(laptop, sharer: user("sam"))
        try DeviceBinding.check(laptop, sharer: user("sue", deviceClaim: "pc-1"))
        #expect(throws: Refusal.self) { try DeviceBinding.check(laptop, sharer: user("sue")) }
        #expect(throws: Refusal.self) { try DeviceBinding.check(laptop, sharer: user("sue", deviceClaim: "pc-2")) }
        do { try DeviceBinding.check(laptop, sharer: user("sue")) } catch { #expect(error.code == .deviceNotBound) }
        // The same user id in another tenant is another person.
        #expect(throws: Refusal.self) { try DeviceBinding.check(laptop, sharer: user("sam", tenant: "globex")) }
        // A shared device without an owner opens only through a token device claim.
        let lab = Device(id: "lab-7", tenantID: "acme", name: "Lab 7")
        #expect(throws: Refusal.self) { try DeviceBinding.check(lab, sharer: user("sam")) }
        try DeviceBinding.check(lab, sharer: user("sam", deviceClaim: "lab-7"))
        // A device agent's principal is no sharer of a code session.
        let agent = Principal(kind: .device, tenantID: "acme", subject: "pc-1", displayName: "pc-1", deviceID: "pc-1",
                              issuer: "test")
        #expect(throws: Refusal.self) { try DeviceBinding.check(laptop, sharer: agent) }
    }
}
