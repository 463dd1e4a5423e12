/// The release of docker-server.
public enum Version {
    public static let current = "0.1.0"
}
