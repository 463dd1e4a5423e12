/// The socket-activation protocol of sd_listen_fds(3): systemd passes sockets as file
/// descriptors 3, 4, … and describes them in `LISTEN_PID` (the process they are meant for),
/// `LISTEN_FDS` (how many) and `LISTEN_FDNAMES` (their names, separated by `:`).
public enum SocketActivation {
    /// `SD_LISTEN_FDS_START`: the first passed descriptor.
    public static let firstDescriptor: Int32 = 3
    /// More passed descriptors than this are ignored (a unit lists a few sockets at most).
    public static let maxDescriptors = 64

    /// The descriptors passed to process `pid`, each with its name (`""` when unnamed).
    /// Empty when `LISTEN_PID` names another process (the variables were inherited) or the
    /// variables are missing or malformed.
    public static func passedDescriptors(environment: [String: String], pid: Int32) -> [(fd: Int32, name: String)] {
        guard let listenPID = environment["LISTEN_PID"].flatMap({ Int32($0) }), listenPID == pid,
              let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count > 0 else { return [] }
        let names = environment["LISTEN_FDNAMES"].map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        return (0..<min(count, maxDescriptors)).map { i in
            (firstDescriptor + Int32(i), i < names.count ? names[i] : "")
        }
    }

    /// The variables a process must not pass on to its children (sd_listen_fds(3) unsets them).
    public static let variableNames = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
}
