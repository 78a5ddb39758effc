import Foundation
import JWTKit
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel

@Suite("Passwords and TOTP")
struct CredentialTests {
    @Test("PBKDF2 hashes are salted and verify only the right password")
    func passwords() throws {
        let hasher = PasswordHasher(rounds: 1000)
        let first = try hasher.hash("correct horse")
        let second = try hasher.hash("correct horse")
        #expect(first != second)
        #expect(first.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(hasher.verify("correct horse", against: first))
        #expect(!hasher.verify("correct horsE", against: first))
        #expect(!hasher.verify("x", against: "garbage"))
        #expect(!hasher.verify("x", against: "pbkdf2-sha256$0$AA==$AA=="))
    }

    @Test("RFC 6238 appendix B vectors (SHA-1, eight digits)")
    func rfc6238() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
        #expect(totp.code(at: 59) == "94287082")
        #expect(totp.code(at: 1_111_111_109) == "07081804")
        #expect(totp.code(at: 1_111_111_111) == "14050471")
        #expect(totp.code(at: 1_234_567_890) == "89005924")
        #expect(totp.code(at: 2_000_000_000) == "69279037")
        // One step of drift either way is accepted, and names the step the code belongs to.
        #expect(totp.matchingStep("94287082", at: 59 + 30) == 1)
        #expect(totp.matchingStep("94287082", at: 59 - 30) == 1)
        #expect(totp.matchingStep("94287082", at: 59 + 90) == nil)
    }

    @Test("Base32 round-trips and rejects foreign characters")
    func base32() {
        let bytes: [UInt8] = Array("12345678901234567890".utf8)
        #expect(Base32.encode(bytes) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == bytes)
        #expect(Base32.decode("GEZ1") == nil)
    }
}

/// Builds a validator over a built-in issuer and a fixed set of tenants.
struct IdentityFixture {
    let issuer: BuiltInIssuer
    let validator: TokenValidator
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func make(tenants: [Tenant], jwks: JWKSCache = JWKSCache()) async throws -> IdentityFixture {
        let issuer = BuiltInIssuer(issuer: "https://tandem.test", key: try await SigningKey.generate(keyID: "issuer-1"))
        let validator = TokenValidator(builtIn: issuer, jwks: jwks, tenant: { id in tenants.first { $0.id == id } },
                                       tenants: { tenants })
        return IdentityFixture(issuer: issuer, validator: validator)
    }

    func refusal(_ token: String, accept: TokenValidator.Accept = .access, at date: Date? = nil) async -> RefusalCode? {
        do { _ = try await validator.validate(token, accept: accept, now: date ?? now); return nil }
        catch { return error.code }
    }
}

@Suite("Token validation")
struct TokenValidationTests {
    let acme = Tenant(id: "acme", name: "Acme")
    let user = User(id: "u1", tenantID: "acme", username: "alice", displayName: "Alice", groups: ["helpdesk"])

    @Test("A built-in token maps to a principal with groups and amr")
    func valid() async throws {
        let fixture = try await IdentityFixture.make(tenants: [acme])
        let token = try await fixture.issuer.issue(.access, for: user, methods: ["pwd", "otp", "mfa"], now: fixture.now)
        let (principal, tenant) = try await fixture.validator.validate(token, now: fixture.now)
        #expect(tenant.id == "acme")
        #expect(principal.subject == "u1" && principal.displayName == "Alice" && principal.groups == ["helpdesk"])
        #expect(principal.usedMFA)
        #expect(principal.kind == .user)
    }

    @Test("Expired (beyond skew), forged, wrong audience, wrong issuer, unknown and disabled tenants are refused")
    func refusals() async throws {
        let disabled = Tenant(id: "off", name: "Off", enabled: false)
        let fixture = try await IdentityFixture.make(tenants: [acme, disabled])
        let token = try await fixture.issuer.issue(.access, for: user, methods: ["pwd"], now: fixture.now)
        // Expiry is one hour; the skew is one minute.
        #expect(await fixture.refusal(token, at: fixture.now.addingTimeInterval(3600 + 30)) == nil)
        #expect(await fixture.refusal(token, at: fixture.now.addingTimeInterval(3600 + 61)) == .tokenExpired)

        let forger = BuiltInIssuer(issuer: "https://tandem.test", key: try await SigningKey.generate(keyID: "issuer-1"))
        #expect(await fixture.refusal(try await forger.issue(.access, for: user, methods: [], now: fixture.now)) == .tokenInvalid)

        let otherAudience = BuiltInIssuer(issuer: "https://tandem.test", audience: "someone-else", key: fixture.issuer.key)
        #expect(await fixture.refusal(try await otherAudience.issue(.access, for: user, methods: [], now: fixture.now))
                == .tokenWrongAudience)

        let otherIssuer = BuiltInIssuer(issuer: "https://evil.test", key: fixture.issuer.key)
        #expect(await fixture.refusal(try await otherIssuer.issue(.access, for: user, methods: [], now: fixture.now))
                == .tokenWrongIssuer)

        var stranger = user
        stranger.tenantID = "nowhere"
        #expect(await fixture.refusal(try await fixture.issuer.issue(.access, for: stranger, methods: [], now: fixture.now))
                == .tenantUnknown)
        var offUser = user
        offUser.tenantID = "off"
        #expect(await fixture.refusal(try await fixture.issuer.issue(.access, for: offUser, methods: [], now: fixture.now))
                == .tenantDisabled)

        #expect(await fixture.refusal("not.a.jwt") == .tokenInvalid)
        #expect(await fixture.refusal("") == .tokenInvalid)
    }

    @Test("Refresh tokens only refresh; access tokens cannot refresh")
    func tokenUses() async throws {
        let fixture = try await IdentityFixture.make(tenants: [acme])
        let refresh = try await fixture.issuer.issue(.refresh, for: user, methods: ["pwd"], now: fixture.now)
        let access = try await fixture.issuer.issue(.access, for: user, methods: ["pwd"], now: fixture.now)
        #expect(await fixture.refusal(refresh) == .tokenInvalid)
        #expect(await fixture.refusal(refresh, accept: .refresh) == nil)
        #expect(await fixture.refusal(access, accept: .refresh) == .tokenInvalid)
    }

    @Test("A device token maps to a device principal")
    func deviceToken() async throws {
        let fixture = try await IdentityFixture.make(tenants: [acme])
        let token = try await fixture.issuer.issue(for: Device(id: "d1", tenantID: "acme", name: "PC"), now: fixture.now)
        let (principal, _) = try await fixture.validator.validate(token, now: fixture.now)
        #expect(principal.kind == .device && principal.subject == "d1" && principal.deviceID == "d1")
    }
}

@Suite("Session grants")
struct SessionGrantTests {
    @Test("A sharer verifies the grant with the published public key only")
    func verifyWithPublicKey() async throws {
        let key = try await SigningKey.generate(keyID: "grant-1")
        let grant = SessionGrant(issuer: "https://tandem.test", tenantID: "acme", sessionID: "s1", helperUserID: "h",
                                 helperName: "Helen", sharerUserID: "s", deviceID: "d1",
                                 permissions: [.viewScreen, .fullControl], issuedAt: 100, expiresAt: 200)
        let token = try await key.sign(grant)
        #expect(!key.publicJWKS.contains("\"d\""))
        let verified = try await SessionGrant.verify(token, publicJWKS: key.publicJWKS, sessionID: "s1",
                                                     now: Date(timeIntervalSince1970: 150))
        #expect(verified == grant)
        await #expect(throws: GrantError.self) {
            try await SessionGrant.verify(token, publicJWKS: key.publicJWKS, sessionID: "s2", now: Date(timeIntervalSince1970: 150))
        }
        await #expect(throws: GrantError.self) {
            try await SessionGrant.verify(token, publicJWKS: key.publicJWKS, sessionID: "s1", now: Date(timeIntervalSince1970: 200))
        }
        let other = try await SigningKey.generate(keyID: "grant-1")
        await #expect(throws: (any Error).self) {
            try await SessionGrant.verify(token, publicJWKS: other.publicJWKS, sessionID: "s1", now: Date(timeIntervalSince1970: 150))
        }
    }
}
