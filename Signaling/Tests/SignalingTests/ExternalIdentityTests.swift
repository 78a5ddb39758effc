import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import Synchronization
import Testing
import SignalingCore
import SignalingIdentity
import SignalingModel

/// A tiny OpenID provider on 127.0.0.1: a discovery document and a JWKS whose keys the test rotates.
final class LocalIdentityProvider: Sendable {
    struct Key: Sendable {
        let kid: String
        let jwk: [String: String]
        let signer: JWTKeyCollection
    }

    let keys = Mutex<[Key]>([])
    let jwksRequests = Mutex(0)
    let port: Int
    let task: Task<Void, any Error>
    var issuer: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    static func start() async throws -> LocalIdentityProvider {
        let box = LocalIdentityProviderBox()
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ -> Response in
            let issuer = box.provider?.issuer ?? ""
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(
                string: #"{"issuer":"\#(issuer)","jwks_uri":"\#(issuer)/keys"}"#)))
        }
        router.get("/keys") { _, _ -> Response in
            guard let provider = box.provider else { return Response(status: .serviceUnavailable) }
            provider.jwksRequests.withLock { $0 += 1 }
            let document = ["keys": provider.keys.withLock { $0.map(\.jwk) }]
            let data = try JSONEncoder().encode(document)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
                                      logger: TestBackend.quietLogger)
        let task = Task { try await application.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let provider = LocalIdentityProvider(port: port, task: task)
        box.provider = provider
        return provider
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// Publishes a new RS256 key (RFC 7518 §6.3.1: modulus and exponent, base64url).
    func addRSAKey(_ kid: String) async throws {
        let backing = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let key = try Insecure.RSA.PrivateKey(backing: backing)
        let signer = JWTKeyCollection()
        await signer.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        let primitives = try key.publicKey.getKeyPrimitives()
        let jwk = ["kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
                   "n": Self.base64URL(primitives.modulus), "e": Self.base64URL(primitives.publicExponent)]
        keys.withLock { $0.append(Key(kid: kid, jwk: jwk, signer: signer)) }
    }

    /// Publishes a new ES256 key (RFC 7518 §6.2.1).
    func addECKey(_ kid: String) async throws {
        let key = ES256PrivateKey()
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let parameters = try #require(key.parameters)
        let jwk = ["kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
                   "x": parameters.x, "y": parameters.y]
        keys.withLock { $0.append(Key(kid: kid, jwk: jwk, signer: signer)) }
    }

    func removeKey(_ kid: String) { keys.withLock { $0.removeAll { $0.kid == kid } } }

    /// A token as an Entra-like provider would issue it.
    func token(kid: String, tenant: String = "ext-acme", audience: String = "api://tandem", expiresIn: Double = 600,
               amr: [String] = ["pwd", "mfa"], signer: JWTKeyCollection? = nil) async throws -> String {
        let key = try #require(keys.withLock { $0.first { $0.kid == kid } }?.signer ?? signer)
        let now = Date().timeIntervalSince1970
        return try await key.sign(FlexibleClaims([
            "iss": .string(issuer), "aud": .string(audience), "sub": .string("pairwise-1"), "oid": .string("ext-user-1"),
            "tid": .string(tenant), "name": .string("Erin External"), "upn": .string("erin@acme.example"),
            "groups": .strings(["helpdesk"]),
            "amr": .strings(amr), "iat": .number(now), "exp": .number(now + expiresIn),
        ]), kid: JWKIdentifier(string: kid))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Lets the routes reach the provider created after them.
final class LocalIdentityProviderBox: Sendable {
    private let lock = Mutex<LocalIdentityProvider?>(nil)
    var provider: LocalIdentityProvider? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}

@Suite("External identity provider", .serialized)
struct ExternalIdentityTests {
    func fixture(_ provider: LocalIdentityProvider) async throws -> (IdentityFixture, Tenant) {
        let tenant = Tenant(id: "acme", name: "Acme", remoteHelpEnabled: true, identityProvider: ExternalIdentityProvider(
            issuer: provider.issuer, audience: "api://tandem", externalTenantID: "ext-acme"))
        let other = Tenant(id: "globex", name: "Globex", identityProvider: ExternalIdentityProvider(
            issuer: provider.issuer, audience: "api://tandem", externalTenantID: "ext-globex"))
        return (try await IdentityFixture.make(tenants: [tenant, other],
                                               jwks: JWKSCache(minimumRefreshIntervalSeconds: 0)), tenant)
    }

    func refusal(_ fixture: IdentityFixture, _ token: String) async -> RefusalCode? {
        do { _ = try await fixture.validator.validate(token, now: Date()); return nil } catch { return error.code }
    }

    @Test("RS256 and ES256 tokens from discovery + JWKS map to the tenant with groups and amr")
    func validTokens() async throws {
        let provider = try await LocalIdentityProvider.start()
        try await provider.addRSAKey("rsa-1")
        try await provider.addECKey("ec-1")
        let (fixture, _) = try await fixture(provider)
        for kid in ["rsa-1", "ec-1"] {
            let (principal, tenant) = try await fixture.validator.validate(try await provider.token(kid: kid), now: Date())
            #expect(tenant.id == "acme")
            #expect(principal.subject == "ext-user-1" && principal.email == "erin@acme.example")
            #expect(principal.groups == ["helpdesk"] && principal.usedMFA)
            #expect(principal.issuer == provider.issuer)
        }
        #expect(provider.jwksRequests.withLock { $0 } == 1)
        await provider.stop()
    }

    @Test("Other tenant, wrong audience, expired and forged external tokens are refused")
    func refusals() async throws {
        let provider = try await LocalIdentityProvider.start()
        try await provider.addRSAKey("rsa-1")
        let (fixture, _) = try await fixture(provider)
        #expect(await refusal(fixture, try await provider.token(kid: "rsa-1", tenant: "ext-initech")) == .tenantMismatch)
        // A token of another configured tenant maps to that tenant, never to acme.
        let (_, globex) = try await fixture.validator.validate(try await provider.token(kid: "rsa-1", tenant: "ext-globex"),
                                                               now: Date())
        #expect(globex.id == "globex")
        #expect(await refusal(fixture, try await provider.token(kid: "rsa-1", audience: "api://other")) == .tokenWrongAudience)
        #expect(await refusal(fixture, try await provider.token(kid: "rsa-1", expiresIn: -120)) == .tokenExpired)
        // Signed by a key the provider never published, under a published key id.
        let forger = JWTKeyCollection()
        await forger.add(rsa: try Insecure.RSA.PrivateKey(backing: try _RSA.Signing.PrivateKey(keySize: .bits2048)),
                         digestAlgorithm: .sha256, kid: "rsa-1")
        #expect(await refusal(fixture, try await provider.token(kid: "unpublished", signer: forger)) == .tokenInvalid)
        await provider.stop()
    }

    @Test("An (issuer, external tenant id) pair set up for two tenants maps to neither")
    func ambiguousProvider() async throws {
        let provider = try await LocalIdentityProvider.start()
        try await provider.addECKey("ec-1")
        let pair = ExternalIdentityProvider(issuer: provider.issuer, audience: "api://tandem", externalTenantID: "ext-acme")
        let fixture = try await IdentityFixture.make(
            tenants: [Tenant(id: "acme", name: "Acme", identityProvider: pair),
                      Tenant(id: "impostor", name: "Impostor", identityProvider: pair)],
            jwks: JWKSCache(minimumRefreshIntervalSeconds: 0))
        #expect(await refusal(fixture, try await provider.token(kid: "ec-1")) == .tenantMismatch)
        await provider.stop()
    }

    @Test("Key rotation: an unknown key id triggers a JWKS refresh; a withdrawn key stops working")
    func rotation() async throws {
        let provider = try await LocalIdentityProvider.start()
        try await provider.addRSAKey("old")
        let (fixture, _) = try await fixture(provider)
        let oldToken = try await provider.token(kid: "old")
        #expect(await refusal(fixture, oldToken) == nil)
        #expect(provider.jwksRequests.withLock { $0 } == 1)

        try await provider.addECKey("new")
        provider.removeKey("old")
        #expect(await refusal(fixture, try await provider.token(kid: "new")) == nil)
        #expect(provider.jwksRequests.withLock { $0 } == 2)
        #expect(await refusal(fixture, oldToken) == .tokenInvalid)
        await provider.stop()
    }

    @Test("Over the service: an external helper signs in; a token of an unconfigured tenant is refused and audited")
    func overTheService() async throws {
        let provider = try await LocalIdentityProvider.start()
        try await provider.addECKey("ec-1")
        let service = try await TestService.start()
        try await service.seedAcme()
        var acme = try #require(try await service.store.tenant(id: "acme"))
        acme.identityProvider = ExternalIdentityProvider(issuer: provider.issuer, audience: "api://tandem",
                                                         externalTenantID: "ext-acme")
        try await service.store.saveTenant(acme)

        let party = try await TestParty.connect(port: service.port)
        #expect(try await party.refusal(["type": "hello", "token": .string(
            try await provider.token(kid: "ec-1", tenant: "ext-initech"))]) == "tenant_mismatch")
        #expect(try await service.refusalRecord(.tenantMismatch)?.entry.action == "hello")
        party.send(["type": "hello", "token": .string(try await provider.token(kid: "ec-1"))])
        #expect(try await party.next("welcome")["principal"]?["tenantId"] == "acme")
        // Groups from the token give the Help Desk Operator role.
        party.send(["type": "session.create"])
        _ = try await party.next("session.created")
        await party.close()
        await service.stop()
        await provider.stop()
    }
}
