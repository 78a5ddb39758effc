import SignalingModel

/// Which registered device a sharer may join a code session from (PROTOCOL.md §2.3). The device decides what the
/// helper may do (device-scoped roles), whether the session may happen at all (enrolment) and what conditional
/// access sees (compliance), so a sharer must not be able to name any device of the tenant.
public enum DeviceBinding {
    /// A sharer is bound to a device when the sign-in token says it was issued on that device (the identity
    /// provider's `device_id`/`deviceid` claim), or when the registry names the sharer as the device's owner.
    /// Devices without an owner (shared or lab machines) are reached by a token device claim or by remote launch,
    /// where the device's own agent credential speaks for the device.
    public static func check(_ device: Device, sharer: Principal) throws(Refusal) {
        if sharer.kind == .user, sharer.tenantID == device.tenantID,
           sharer.deviceID == device.id || device.ownerUserID == sharer.subject {
            return
        }
        throw Refusal(.deviceNotBound,
                      "The device \(device.name) is not yours: it is not the device you signed in on and you do not own it.")
    }
}
