package io.grpo4j.cli;

import picocli.CommandLine.Option;

/**
 * {@code --host} and {@code --port}, shared by the commands that serve HTTP (serve, dashboard);
 * each gives its own default port: {@code @Mixin ListenOptions listen = new ListenOptions(8000);}.
 */
final class ListenOptions {
  @Option(
      names = "--host",
      description =
          "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 listens on"
              + " every interface).")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  ListenOptions(int port) {
    this.port = port;
  }

  /** The host as it goes in a URL (IPv6 addresses in brackets). */
  String urlHost() {
    return host.contains(":") ? "[" + host + "]" : host;
  }
}
