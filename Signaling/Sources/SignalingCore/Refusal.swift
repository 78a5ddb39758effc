import SignalingModel

/// Every reason the service says no, as a machine-readable code (documented in Signaling/PROTOCOL.md).
public enum RefusalCode: String, Codable, Sendable, CaseIterable {
    // Tokens and tenants (design notes §4).
    case notSignedIn = "not_signed_in"
    case tokenInvalid = "token_invalid"
    case tokenExpired = "token_expired"
    case tokenWrongAudience = "token_wrong_audience"
    case tokenWrongIssuer = "token_wrong_issuer"
    case tenantMismatch = "tenant_mismatch"
    case tenantUnknown = "tenant_unknown"
    case tenantDisabled = "tenant_disabled"
    case userUnknown = "user_unknown"
    case userDisabled = "user_disabled"
    case credentialsInvalid = "credentials_invalid"
    case mfaCodeRequired = "mfa_code_required"
    case mfaCodeInvalid = "mfa_code_invalid"
    case signInLockedOut = "sign_in_locked_out"
    case remoteHelpDisabled = "remote_help_disabled"
    // Roles.
    case permissionMissing = "permission_missing"
    case notAdmin = "not_admin"
    // Devices.
    case deviceUnknown = "device_unknown"
    case deviceNotEnrolled = "device_not_enrolled"
    case deviceOffline = "device_offline"
    case deviceNotBound = "device_not_bound"
    case complianceNotAcknowledged = "compliance_not_acknowledged"
    // Conditional access.
    case policyBlocked = "ca_blocked"
    case addressBlocked = "ca_address_blocked"
    case addressNotAllowed = "ca_address_not_allowed"
    case mfaRequired = "ca_mfa_required"
    case deviceNotCompliant = "ca_device_not_compliant"
    // Session codes.
    case codeInvalid = "code_invalid"
    case codeExpired = "code_expired"
    case codeUsed = "code_used"
    case lockedOut = "code_locked_out"
    // Sessions.
    case wrongParty = "wrong_party"
    case notSessionMember = "not_session_member"
    case sessionNotFound = "session_not_found"
    case sessionNotActive = "session_not_active"
    case launchDeclined = "launch_declined"
    case controlDeclined = "control_declined"
    case chatDisabled = "chat_disabled"
    // Transport and input.
    case originNotAllowed = "origin_not_allowed"
    case badRequest = "bad_request"
    case notFound = "not_found"
    case conflict = "conflict"
    // The service.
    case auditUnavailable = "audit_unavailable"
}

/// A refusal: the code for programs and a sentence for people. Thrown by every decision function.
public struct Refusal: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public var code: RefusalCode
    public var reason: String

    public init(_ code: RefusalCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
