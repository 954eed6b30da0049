package io.grpo4j.dist;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where this process sits in a data-parallel job, read from the environment variables that {@code
 * torchrun}, Slurm wrappers ({@code srun} with them exported) and Kubernetes PyTorchJob set, so any
 * of them can start grpo4j unchanged:
 *
 * <pre>
 * RANK              global rank, 0 ≤ RANK &lt; WORLD_SIZE
 * WORLD_SIZE        number of processes in the job
 * LOCAL_RANK        rank on this node (picks cuda:LOCAL_RANK); default 0 (PyTorchJob: one per pod)
 * LOCAL_WORLD_SIZE  processes on this node; default 1
 * MASTER_ADDR       host of rank 0, which serves the rendezvous store (TCPStore)
 * MASTER_PORT       its port, 1..65535
 * </pre>
 *
 * With neither {@code WORLD_SIZE} nor {@code RANK} set the process runs alone ({@link #single}).
 * {@code WORLD_SIZE=1} is a job of one: no process group is needed.
 *
 * @param rank global rank
 * @param worldSize number of ranks
 * @param localRank rank on this node
 * @param localWorldSize ranks on this node
 * @param masterAddr rendezvous host
 * @param masterPort rendezvous port (0 only for {@link #single})
 */
public record DistEnv(
    int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort) {

  public static final String RANK = "RANK";
  public static final String WORLD_SIZE = "WORLD_SIZE";
  public static final String LOCAL_RANK = "LOCAL_RANK";
  public static final String LOCAL_WORLD_SIZE = "LOCAL_WORLD_SIZE";
  public static final String MASTER_ADDR = "MASTER_ADDR";
  public static final String MASTER_PORT = "MASTER_PORT";

  public DistEnv {
    if (worldSize < 1)
      throw new IllegalArgumentException(WORLD_SIZE + " must be >= 1, got " + worldSize);
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException(
          RANK + " must be in [0, WORLD_SIZE=" + worldSize + "), got " + rank);
    }
    if (localWorldSize < 1 || localWorldSize > worldSize) {
      throw new IllegalArgumentException(
          LOCAL_WORLD_SIZE
              + " must be in [1, WORLD_SIZE="
              + worldSize
              + "], got "
              + localWorldSize);
    }
    if (localRank < 0 || localRank >= localWorldSize) {
      throw new IllegalArgumentException(
          LOCAL_RANK
              + " must be in [0, LOCAL_WORLD_SIZE="
              + localWorldSize
              + "), got "
              + localRank);
    }
    if (worldSize > 1) {
      if (masterAddr == null || masterAddr.isBlank()) {
        throw new IllegalArgumentException(MASTER_ADDR + " must be set when WORLD_SIZE > 1");
      }
      if (masterPort < 1 || masterPort > 65535) {
        throw new IllegalArgumentException(
            MASTER_PORT + " must be in 1..65535 when WORLD_SIZE > 1, got " + masterPort);
      }
    }
  }

  /** A process on its own: rank 0 of 1. */
  public static DistEnv single() {
    return new DistEnv(0, 1, 0, 1, "127.0.0.1", 0);
  }

  /** This process's place, from {@link System#getenv()}. */
  public static DistEnv fromEnvironment() {
    return parse(System.getenv());
  }

  /**
   * Reads the variables above from {@code env}; fails with a message naming the variable when one
   * is missing, not an integer, or out of range.
   */
  public static DistEnv parse(Map<String, String> env) {
    String ws = env.get(WORLD_SIZE);
    String r = env.get(RANK);
    if (blank(ws) && blank(r)) return single();
    if (blank(ws))
      throw new IllegalArgumentException(RANK + " is set but " + WORLD_SIZE + " is not");
    if (blank(r))
      throw new IllegalArgumentException(WORLD_SIZE + " is set but " + RANK + " is not");
    int worldSize = integer(env, WORLD_SIZE, ws);
    int rank = integer(env, RANK, r);
    int localRank = blank(env.get(LOCAL_RANK)) ? 0 : integer(env, LOCAL_RANK, env.get(LOCAL_RANK));
    int localWorldSize =
        blank(env.get(LOCAL_WORLD_SIZE))
            ? 1
            : integer(env, LOCAL_WORLD_SIZE, env.get(LOCAL_WORLD_SIZE));
    if (worldSize == 1) {
      return new DistEnv(rank, 1, localRank, localWorldSize, "127.0.0.1", 0);
    }
    String addr = env.get(MASTER_ADDR);
    if (blank(addr)) {
      throw new IllegalArgumentException(
          MASTER_ADDR + " is not set (WORLD_SIZE=" + worldSize + " needs the host of rank 0)");
    }
    String port = env.get(MASTER_PORT);
    if (blank(port)) {
      throw new IllegalArgumentException(
          MASTER_PORT + " is not set (WORLD_SIZE=" + worldSize + " needs rank 0's store port)");
    }
    return new DistEnv(
        rank, worldSize, localRank, localWorldSize, addr.trim(), integer(env, MASTER_PORT, port));
  }

  /** More than one rank: collectives are needed. */
  public boolean distributed() {
    return worldSize > 1;
  }

  /** Rank 0: the one that writes metrics, samples, checkpoints and reports. */
  public boolean isMain() {
    return rank == 0;
  }

  /** The variables as a launcher sets them for this rank. */
  public Map<String, String> asEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(RANK, Integer.toString(rank));
    env.put(WORLD_SIZE, Integer.toString(worldSize));
    env.put(LOCAL_RANK, Integer.toString(localRank));
    env.put(LOCAL_WORLD_SIZE, Integer.toString(localWorldSize));
    env.put(MASTER_ADDR, masterAddr);
    env.put(MASTER_PORT, Integer.toString(masterPort));
    return env;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static int integer(Map<String, String> env, String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "environment variable " + name + " must be an integer, got '" + value + "'");
    }
  }
}
