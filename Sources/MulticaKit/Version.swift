public enum MulticaKitVersion { public static let string = "0.1.0" }
