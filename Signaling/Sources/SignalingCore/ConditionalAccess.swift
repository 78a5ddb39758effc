import SignalingModel
import TandemBase

/// Conditional-access evaluation with an explanation of every policy's part (issue 5, point 6).
public enum ConditionalAccess {
    /// When the evaluation happens: at sign-in only policies that target both parties apply.
    public enum Stage: String, Sendable, Codable {
        case signIn = "sign_in"
        case sessionStart = "session_start"
    }

    /// The facts a decision is made on.
    public struct Context: Sendable, Codable, Equatable {
        public var stage: Stage
        /// The party being evaluated at session start (nil at sign-in).
        public var party: Party?
        public var userGroups: [String]
        public var usedMFA: Bool
        public var address: String?
        /// Compliance of the device in play; nil when no device is known.
        public var deviceCompliant: Bool?
        /// False while the device in play cannot be known yet (a helper creating a code session): device
        /// requirements are then checked when the sharer joins.
        public var deviceKnown: Bool

        public init(stage: Stage, party: Party?, userGroups: [String], usedMFA: Bool, address: String?,
                    deviceCompliant: Bool?, deviceKnown: Bool = true) {
            self.stage = stage
            self.party = party
            self.userGroups = userGroups
            self.usedMFA = usedMFA
            self.address = address
            self.deviceCompliant = deviceCompliant
            self.deviceKnown = deviceKnown
        }
    }

    /// What one policy contributed.
    public struct PolicyTrace: Sendable, Codable, Equatable {
        public var policyID: String
        public var policyName: String
        public var applied: Bool
        /// `not_applicable`, `satisfied` or a refusal code.
        public var outcome: String
        public var explanation: String
    }

    public struct Evaluation: Sendable, Codable, Equatable {
        public var allowed: Bool
        public var refusal: Refusal?
        /// The policy that refused, or nil when allowed.
        public var decidingPolicyID: String?
        public var trace: [PolicyTrace]

        /// A sentence saying what decided.
        public var summary: String {
            if let refusal, let decidingPolicyID {
                return "Refused by policy \(decidingPolicyID): \(refusal.reason)"
            }
            let applied = trace.filter(\.applied).map(\.policyName)
            return applied.isEmpty ? "Allowed: no policy applies." : "Allowed: satisfied \(applied.joined(separator: ", "))."
        }
    }

    /// Evaluates enabled policies in priority order (then id); the first that refuses decides.
    public static func evaluate(policies: [ConditionalAccessPolicy], tenant: Tenant, context: Context) -> Evaluation {
        let ordered = policies.filter { $0.enabled && $0.tenantID == tenant.id }
            .sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }
        var trace: [PolicyTrace] = []
        for policy in ordered {
            guard let why = applicability(policy, context) else {
                let refusal = check(policy, tenant: tenant, context: context)
                if let refusal {
                    trace.append(PolicyTrace(policyID: policy.id, policyName: policy.name, applied: true,
                                             outcome: refusal.code.rawValue, explanation: refusal.reason))
                    return Evaluation(allowed: false, refusal: refusal, decidingPolicyID: policy.id, trace: trace)
                }
                trace.append(PolicyTrace(policyID: policy.id, policyName: policy.name, applied: true,
                                         outcome: "satisfied", explanation: "Every requirement holds."))
                continue
            }
            trace.append(PolicyTrace(policyID: policy.id, policyName: policy.name, applied: false,
                                     outcome: "not_applicable", explanation: why))
        }
        return Evaluation(allowed: true, refusal: nil, decidingPolicyID: nil, trace: trace)
    }

    /// Nil when the policy applies to this context, else why not.
    static func applicability(_ policy: ConditionalAccessPolicy, _ context: Context) -> String? {
        switch context.stage {
        case .signIn:
            if !Set(Party.allCases).isSubset(of: policy.parties) {
                return "Targets only \(policy.parties.map(\.rawValue).joined(separator: ", ")); evaluated at session start."
            }
        case .sessionStart:
            if let party = context.party, !policy.parties.contains(party) {
                return "Does not target the \(party.rawValue)."
            }
        }
        if !policy.userGroups.isEmpty && Set(policy.userGroups).isDisjoint(with: context.userGroups) {
            return "The user is in none of the groups \(policy.userGroups.joined(separator: ", "))."
        }
        return nil
    }

    /// The first requirement of an applicable policy that fails, in a fixed order: block, blocked ranges,
    /// allowed ranges, MFA, device compliance.
    static func check(_ policy: ConditionalAccessPolicy, tenant: Tenant, context: Context) -> Refusal? {
        if policy.result == .block {
            return Refusal(.policyBlocked, "The policy \(policy.name) blocks access.")
        }
        let address = context.address.flatMap { IPAddress($0) }
        for name in policy.blockedRanges where ranges(named: name, in: tenant).contains(where: { range in
            address.map(range.contains) ?? false
        }) {
            return Refusal(.addressBlocked,
                           "The address \(context.address ?? "?") is in the blocked range \(name) (policy \(policy.name)).")
        }
        if !policy.allowedRanges.isEmpty {
            let inside = policy.allowedRanges.contains { name in
                ranges(named: name, in: tenant).contains { range in address.map(range.contains) ?? false }
            }
            if !inside {
                return Refusal(.addressNotAllowed,
                               "The address \(context.address ?? "unknown") is outside the allowed ranges \(policy.allowedRanges.joined(separator: ", ")) (policy \(policy.name)).")
            }
        }
        if policy.requireMFA && !context.usedMFA {
            return Refusal(.mfaRequired, "The policy \(policy.name) requires multi-factor sign-in.")
        }
        if policy.requireCompliantDevice && context.deviceKnown && context.deviceCompliant != true {
            let state = context.deviceCompliant == nil ? "no known device" : "a non-compliant device"
            return Refusal(.deviceNotCompliant, "The policy \(policy.name) requires a compliant device; this is \(state).")
        }
        return nil
    }

    static func ranges(named name: String, in tenant: Tenant) -> [AddressRange] {
        (tenant.namedRanges[name] ?? []).compactMap(AddressRange.init)
    }
}
