import Crypto
import Foundation
import Hummingbird
import SignalingCore
import SignalingIdentity
import SignalingModel
import TandemBase

extension SignalingServer {
    /// The built-in issuer's endpoints: password (+ TOTP) sign-in, refresh, and device-agent tokens.
    func addAuthRoutes(_ router: Router<SignalingRequestContext>) {
        router.post("/auth/token") { request, context -> Response in
            await self.guarded("auth.token", context: context) { try await self.signIn(request, context) }
        }
        router.post("/auth/refresh") { request, context -> Response in
            await self.guarded("auth.refresh", context: context) { try await self.refresh(request, context) }
        }
        router.post("/auth/device") { request, context -> Response in
            await self.guarded("auth.device", context: context) { try await self.deviceToken(request, context) }
        }
    }

    /// Runs a handler; a refusal becomes a JSON error with its HTTP status and an audit record.
    func guarded(_ action: String, context: SignalingRequestContext, tenantID: String? = nil,
                 _ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch let refusal as Refusal {
            await hub.audit(tenantID: tenantID, actor: "anonymous@\(context.peerAddress)", action: action,
                            refusal: refusal)
            return HTTPReplies.refusal(refusal)
        } catch let audited as AuditedRefusal {
            return HTTPReplies.refusal(audited.refusal)
        } catch is AuditUnavailable {
            return HTTPReplies.refusal(AuditUnavailable.refusal)
        } catch {
            logger.error("request failed", metadata: ["action": "\(action)", "error": "\(error)"])
            return HTTPReplies.json(["error": ["code": "internal", "reason": "The service could not handle this request."]],
                                    status: .internalServerError)
        }
    }

    private func signIn(_ request: Request, _ context: SignalingRequestContext) async throws -> Response {
        let body = try await request.jsonBody()
        guard let tenantID = body["tenant"]?.stringValue, let username = body["username"]?.stringValue,
              let password = body["password"]?.stringValue
        else { throw Refusal(.badRequest, "tenant, username and password are required.") }
        let actor = "anonymous@\(context.peerAddress)"
        func refuse(_ refusal: Refusal, details: [String: String] = [:]) async -> AuditedRefusal {
            await hub.audit(tenantID: tenantID, actor: actor, action: "auth.token", refusal: refusal,
                            details: details.merging(["username": username]) { first, _ in first })
            return AuditedRefusal(refusal: refusal)
        }
        guard let tenant = try await store.tenant(id: tenantID) else {
            throw await refuse(Refusal(.tenantUnknown, "No organisation \(tenantID)."))
        }
        guard tenant.enabled else { throw await refuse(Refusal(.tenantDisabled, "The organisation \(tenant.name) is disabled.")) }
        let address = context.peerAddress
        do {
            try await signInGuard.checkNotLockedOut(tenantID: tenant.id, username: username, address: address,
                                                    now: clock.milliseconds)
        } catch { throw await refuse(error) }
        func failed(_ refusal: Refusal) async -> AuditedRefusal {
            await signInGuard.recordFailure(tenantID: tenant.id, username: username, address: address,
                                            now: clock.milliseconds)
            return await refuse(refusal)
        }
        let stored = try await store.user(username: username, tenantID: tenant.id)
        guard let user = stored, let hash = user.passwordHash, identity.passwords.verify(password, against: hash) else {
            throw await failed(Refusal(.credentialsInvalid, "The user name or password is wrong."))
        }
        guard !user.disabled else { throw await refuse(Refusal(.userDisabled, "Your account is disabled.")) }
        var methods = ["pwd"]
        if let secret = user.totpSecret, let totp = TOTP(base32Secret: secret) {
            guard let code = body["otp"]?.stringValue else {
                throw await refuse(Refusal(.mfaCodeRequired, "Enter the code from your authenticator app."))
            }
            guard let step = totp.matchingStep(code, at: clock.seconds) else {
                throw await failed(Refusal(.mfaCodeInvalid, "The authenticator code is wrong or too old."))
            }
            guard await signInGuard.claimTOTPStep(step, for: user) else {
                throw await failed(Refusal(.mfaCodeInvalid,
                                           "This authenticator code was used already; wait for the next one."))
            }
            // Kept with the user, so that a restart does not accept the code again.
            if var fresh = try await store.user(id: user.id, tenantID: tenant.id) {
                fresh.totpLastStep = max(step, fresh.totpLastStep ?? step)
                try await store.saveUser(fresh)
            }
            methods += ["otp", "mfa"]
        }
        let evaluation = ConditionalAccess.evaluate(
            policies: try await store.policies(tenantID: tenant.id), tenant: tenant,
            context: .init(stage: .signIn, party: nil, userGroups: user.groups, usedMFA: methods.contains("mfa"),
                           address: context.peerAddress, deviceCompliant: nil, deviceKnown: false))
        if let refusal = evaluation.refusal {
            throw await refuse(refusal, details: ["policy": evaluation.decidingPolicyID ?? ""])
        }
        let access = try await identity.issuer.issue(.access, for: user, methods: methods, now: clock.now())
        let refresh = try await identity.issuer.issue(.refresh, for: user, methods: methods, now: clock.now())
        metrics.signIns.increment()
        try await hub.audit(tenantID: tenant.id, actor: "user:\(user.id)", action: "auth.token",
                            reason: "Signed in with \(methods.joined(separator: "+")) from \(context.peerAddress).")
        return HTTPReplies.json(["access_token": .string(access), "refresh_token": .string(refresh),
                                 "token_type": "Bearer",
                                 "expires_in": .number(Double(identity.issuer.accessLifetimeSeconds))])
    }

    private func refresh(_ request: Request, _ context: SignalingRequestContext) async throws -> Response {
        let body = try await request.jsonBody()
        guard let token = body["refresh_token"]?.stringValue else { throw Refusal(.badRequest, "refresh_token is required.") }
        let (principal, _) = try await identity.validator.validate(token, accept: .refresh, now: clock.now())
        guard let user = try await store.user(id: principal.subject, tenantID: principal.tenantID) else {
            throw Refusal(.userUnknown, "The account no longer exists.")
        }
        guard !user.disabled else { throw Refusal(.userDisabled, "Your account is disabled.") }
        let access = try await identity.issuer.issue(.access, for: user, methods: principal.authenticationMethods,
                                                     now: clock.now())
        try await hub.audit(tenantID: user.tenantID, actor: "user:\(user.id)", action: "auth.refresh",
                            reason: "Token refreshed.")
        return HTTPReplies.json(["access_token": .string(access), "token_type": "Bearer",
                                 "expires_in": .number(Double(identity.issuer.accessLifetimeSeconds))])
    }

    private func deviceToken(_ request: Request, _ context: SignalingRequestContext) async throws -> Response {
        let body = try await request.jsonBody()
        guard let tenantID = body["tenant"]?.stringValue, let deviceID = body["deviceId"]?.stringValue,
              let secret = body["secret"]?.stringValue
        else { throw Refusal(.badRequest, "tenant, deviceId and secret are required.") }
        guard let tenant = try await store.tenant(id: tenantID) else { throw Refusal(.tenantUnknown, "No organisation \(tenantID).") }
        guard tenant.enabled else { throw Refusal(.tenantDisabled, "The organisation \(tenant.name) is disabled.") }
        guard let device = try await store.device(id: deviceID, tenantID: tenantID), let stored = device.credentialHash,
              ConstantTime.equal(Array(DeviceSecret.hash(secret).utf8), Array(stored.utf8))
        else { throw Refusal(.credentialsInvalid, "Unknown device or wrong secret.") }
        guard device.enrolled else { throw Refusal(.deviceNotEnrolled, "The device \(device.name) is not enrolled.") }
        let token = try await identity.issuer.issue(for: device, now: clock.now())
        try await hub.audit(tenantID: tenantID, actor: "device:\(device.id)", action: "auth.device",
                            reason: "Device token issued.")
        return HTTPReplies.json(["access_token": .string(token), "token_type": "Bearer",
                                 "expires_in": .number(Double(identity.issuer.deviceLifetimeSeconds))])
    }
}

/// A refusal that was already written to the audit log with richer details.
struct AuditedRefusal: Error {
    let refusal: Refusal
}

/// Device agent secrets: 32 random bytes shown once at enrolment; the store keeps their SHA-256 (a high-entropy
/// secret needs no slow hash).
public enum DeviceSecret {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode(generator.bytes(32))
    }

    public static func hash(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Array(secret.utf8)))
    }
}
