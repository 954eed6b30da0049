package io.grpo4j.dist;

import io.grpo4j.torch.Pinned;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.gloo.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libtorch c10d process group: rank 0 serves a {@code TCPStore} at MASTER_ADDR:MASTER_PORT, every
 * rank connects to it, and the backend ({@code ProcessGroupGloo} or {@code ProcessGroupNCCL})
 * exchanges its peers' addresses through it. Both the rendezvous and every collective are bounded
 * by {@code timeout}: a rank that never joins, dies or hangs makes the others fail with a {@link
 * DistException} naming the operation, instead of waiting for ever.
 *
 * <p>Gloo's network interface: {@code GLOO_SOCKET_IFNAME} when set (as in PyTorch), loopback when
 * MASTER_ADDR is a loopback address, else the interface of this host's name.
 */
public final class C10dGroup implements DistGroup {
  private static final Logger log = LoggerFactory.getLogger(C10dGroup.class);

  private final DistEnv env;
  private final Duration timeout;
  private final Backend backend;
  private boolean closed;

  private C10dGroup(DistEnv env, Duration timeout, Backend backend) {
    this.env = env;
    this.timeout = timeout;
    this.backend = backend;
  }

  /**
   * Joins the job described by {@code env} with a concrete backend ({@link BackendKind#GLOO} or
   * {@link BackendKind#NCCL}; resolve {@code AUTO} first). Blocks until every rank has joined or
   * {@code joinTimeout} passes (ranks may start minutes apart on a busy cluster); each collective
   * afterwards may wait {@code timeout} for its peers.
   */
  public static C10dGroup join(
      DistEnv env, BackendKind kind, Duration joinTimeout, Duration timeout) {
    if (!env.distributed()) {
      throw new IllegalArgumentException("a c10d group needs WORLD_SIZE > 1, got " + env);
    }
    if (kind == BackendKind.AUTO)
      throw new IllegalArgumentException("resolve AUTO by device first");
    if (timeout.isNegative()
        || timeout.isZero()
        || joinTimeout.isNegative()
        || joinTimeout.isZero()) {
      throw new IllegalArgumentException(
          "distributed timeouts must be > 0, got join " + joinTimeout + ", collectives " + timeout);
    }
    io.grpo4j.torch.NativeLoader.load(); // the first libtorch call of a rank: only our own natives
    TCPStoreOptions opts = new TCPStoreOptions();
    opts.port((short) env.masterPort()); // uint16_t: the bit pattern is what counts
    opts.isServer(env.rank() == 0);
    opts.waitWorkers(false);
    opts.timeout(millis(joinTimeout));
    TCPStore store =
        call(
            env,
            "connecting to the rendezvous store at " + env.masterAddr() + ":" + env.masterPort(),
            joinTimeout,
            () -> new TCPStore(env.masterAddr(), opts));
    Backend backend =
        switch (kind) {
          case GLOO -> gloo(env, store, joinTimeout);
          case NCCL -> nccl(env, store, joinTimeout);
          case AUTO -> throw new AssertionError();
        };
    log.info(
        "rank {}/{} joined a {} group via {}:{} (collective timeout {} s)",
        env.rank(),
        env.worldSize(),
        kind.name().toLowerCase(Locale.ROOT),
        env.masterAddr(),
        env.masterPort(),
        timeout.toSeconds());
    backend.setTimeout(millis(timeout));
    store.setTimeout(millis(timeout));
    // Never deallocated from Java (so no field needs to keep the store reachable): libtorch owns
    // both through intrusive pointers, and letting JavaCPP's deallocator delete them after
    // shutdown() corrupted the heap at the end of DataParallelTest ("corrupted double-linked
    // list", 2026-11-27). One group per process.
    Pinned.forever(store);
    return new C10dGroup(env, timeout, Pinned.forever(backend));
  }

  private static Backend gloo(DistEnv env, TCPStore store, Duration timeout) {
    // the options and the device are shared with the backend for its lifetime: pinned with it
    Device device = Pinned.forever(glooDevice(env));
    ProcessGroupGloo.Options options =
        Pinned.forever(new ProcessGroupGloo.Options(millis(timeout)));
    options.devices(Pinned.forever(new GlooDeviceVector(device)));
    return call(
        env,
        "creating the Gloo process group (waiting for all " + env.worldSize() + " ranks)",
        timeout,
        () -> new ProcessGroupGloo(store, env.rank(), env.worldSize(), options));
  }

  private static Device glooDevice(DistEnv env) {
    String ifname = System.getenv("GLOO_SOCKET_IFNAME");
    if (ifname != null && !ifname.isBlank()) {
      return ProcessGroupGloo.createDeviceForInterface(ifname.trim());
    }
    String addr = env.masterAddr();
    if (addr.equals("localhost") || addr.startsWith("127.") || addr.equals("::1")) {
      return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
    }
    return ProcessGroupGloo.createDefaultDevice();
  }

  private static Backend nccl(DistEnv env, TCPStore store, Duration timeout) {
    try {
      Class<?> c = Class.forName("org.bytedeco.pytorch.nccl.ProcessGroupNCCL");
      org.bytedeco.javacpp.Loader.load(c);
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      throw new DistException(
          "distributed.backend=nccl: the NCCL process group is not in these libtorch natives ("
              + e
              + "); build with -Pgpu (CUDA natives) or use distributed.backend=gloo",
          e);
    }
    return call(
        env,
        "creating the NCCL process group",
        timeout,
        () -> {
          var options = Pinned.forever(new org.bytedeco.pytorch.nccl.ProcessGroupNCCL.Options());
          options.timeout(millis(timeout));
          return new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(
              store, env.rank(), env.worldSize(), options);
        });
  }

  @Override
  public DistEnv env() {
    return env;
  }

  @Override
  public void allReduceSum(Tensor t) {
    allReduce(t, ReduceOp.RedOpType.SUM, "all-reduce (sum)");
  }

  @Override
  public void allReduceMax(Tensor t) {
    allReduce(t, ReduceOp.RedOpType.MAX, "all-reduce (max)");
  }

  private void allReduce(Tensor t, ReduceOp.RedOpType op, String what) {
    AllreduceOptions o = new AllreduceOptions();
    o.reduceOp(new ReduceOp(op));
    o.timeout(millis(timeout));
    run(what, () -> backend.allreduce(new TensorVector(t), o));
  }

  @Override
  public void broadcast(Tensor t, int root) {
    if (root < 0 || root >= env.worldSize()) {
      throw new IllegalArgumentException(
          "broadcast root " + root + " not in [0, " + env.worldSize() + ")");
    }
    BroadcastOptions o = new BroadcastOptions();
    o.rootRank(root);
    o.rootTensor(0);
    o.timeout(millis(timeout));
    run("broadcast from rank " + root, () -> backend.broadcast(new TensorVector(t), o));
  }

  @Override
  public void barrier() {
    run("barrier", backend::barrier);
  }

  private void run(String what, Supplier<Work> start) {
    if (closed) throw new IllegalStateException("rank " + env.rank() + ": group is closed");
    call(
        env,
        what,
        timeout,
        () -> {
          Work w = start.get();
          if (!w._wait(millis(timeout))) {
            throw new DistException("rank " + env.rank() + ": " + what + " did not complete");
          }
          return w;
        });
  }

  /**
   * Runs a native call and turns its failure (Gloo's "connection closed by peer", a timeout) into a
   * {@link DistException} that says which rank, what and how long it may wait.
   */
  private static <T> T call(DistEnv env, String what, Duration timeout, Supplier<T> body) {
    try {
      return body.get();
    } catch (DistException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DistException(
          "rank "
              + env.rank()
              + " of "
              + env.worldSize()
              + ": "
              + what
              + " failed (a peer rank died, hung longer than the "
              + timeout.toSeconds()
              + " s timeout, or never started): "
              + firstLine(e.getMessage()),
          e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) return "(no message)";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static Milliseconds millis(Duration d) {
    return new Milliseconds(d.toMillis());
  }

  /**
   * Leaves the group: shuts the backend down (peers still waiting get an error, not a hang). The
   * native store and backend stay allocated (see {@link #join}).
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    try {
      backend.shutdown();
    } catch (RuntimeException e) {
      log.debug("rank {}: backend shutdown: {}", env.rank(), e.toString());
    }
  }
}
