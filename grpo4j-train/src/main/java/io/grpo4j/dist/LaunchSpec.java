package io.grpo4j.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

/**
 * What {@code grpo4j launch} starts on this node, with torchrun's meaning of each number: {@code
 * nproc} processes here, {@code nnodes} nodes in all, this node's index {@code nodeRank}; local
 * process i gets {@code RANK = nodeRank·nproc + i}, {@code WORLD_SIZE = nnodes·nproc}.
 *
 * @param nproc processes on this node ({@code --nproc}, ≥ 1)
 * @param nnodes nodes in the job ({@code --nnodes}, default 1)
 * @param nodeRank this node's index ({@code --node-rank}, default 0)
 * @param masterAddr host of rank 0 ({@code --master ADDR:PORT}; default 127.0.0.1 on one node)
 * @param masterPort its store port (default on one node: a free port)
 * @param grace how long ranks may take to exit after SIGTERM before they are killed ({@code
 *     --grace-s}, default 10 s)
 */
public record LaunchSpec(
    int nproc, int nnodes, int nodeRank, String masterAddr, int masterPort, Duration grace) {

  public LaunchSpec {
    if (nproc < 1) throw new IllegalArgumentException("--nproc must be >= 1, got " + nproc);
    if (nnodes < 1) throw new IllegalArgumentException("--nnodes must be >= 1, got " + nnodes);
    if (nodeRank < 0 || nodeRank >= nnodes) {
      throw new IllegalArgumentException(
          "--node-rank must be in [0, --nnodes=" + nnodes + "), got " + nodeRank);
    }
    if (masterAddr == null || masterAddr.isBlank()) {
      throw new IllegalArgumentException("--master: the address is empty");
    }
    if (masterPort < 1 || masterPort > 65535) {
      throw new IllegalArgumentException("--master: port must be in 1..65535, got " + masterPort);
    }
    if (grace.isNegative()) throw new IllegalArgumentException("--grace-s must be >= 0");
  }

  /**
   * The spec for the command-line values; {@code master} is {@code ADDR:PORT} or null, which is
   * allowed on one node only (then 127.0.0.1 and a free port).
   */
  public static LaunchSpec of(int nproc, int nnodes, int nodeRank, String master, Duration grace) {
    if (master == null || master.isBlank()) {
      if (nnodes > 1) {
        throw new IllegalArgumentException(
            "--master ADDR:PORT is required with --nnodes > 1 (the address of node 0, the same on every node)");
      }
      return new LaunchSpec(nproc, nnodes, nodeRank, "127.0.0.1", freePort(), grace);
    }
    int colon = master.lastIndexOf(':');
    if (colon <= 0 || colon == master.length() - 1) {
      throw new IllegalArgumentException("--master must be ADDR:PORT, got '" + master + "'");
    }
    int port;
    try {
      port = Integer.parseInt(master.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--master: port of '" + master + "' is not a number");
    }
    return new LaunchSpec(nproc, nnodes, nodeRank, master.substring(0, colon), port, grace);
  }

  public int worldSize() {
    return nproc * nnodes;
  }

  /** The environment of local process {@code localRank}. */
  public DistEnv env(int localRank) {
    return new DistEnv(
        nodeRank * nproc + localRank, worldSize(), localRank, nproc, masterAddr, masterPort);
  }

  /** A TCP port that was free on the loopback interface a moment ago. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free local port: " + e.getMessage(), e);
    }
  }
}
