package io.grpo4j.torch;

import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.cuda.DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair;
import org.bytedeco.pytorch.cuda.MemPool;
import org.bytedeco.pytorch.cuda.StreamFilter;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * A piece of libtorch work recorded once as a CUDA graph and replayed with one launch: for the
 * decode step, ~28 layers × ~20 small kernels each crossing JNI become a single {@code
 * cudaGraphLaunch}. The presets map no {@code at::cuda::CUDAGraph}, so this does what it does with
 * the CUDA runtime API ({@code org.bytedeco.cuda.global.cudart}): on a side stream made libtorch's
 * current one, run the work once (warm-up: cuBLAS creates its handles and workspaces outside the
 * capture), then {@code cudaStreamBeginCapture} … the work … {@code cudaStreamEndCapture}, {@code
 * cudaGraphInstantiate}; tensors the work allocates during capture come from a private pool of the
 * caching allocator ({@code beginAllocateToPool}), kept until {@link #close}, so replays write the
 * same addresses.
 *
 * <p>The work must be replayable: fixed shapes, inputs and outputs in tensors allocated before the
 * capture and updated in place (e.g. {@code io.grpo4j.model.StaticKvCache}), no host reads. Off by
 * default everywhere ({@code --cuda-graph}). Its first GPU run (H200, 2026-11-27) crashed the JVM
 * in the pool id's JavaCPP deallocator; since {@link Pinned#forever} it captures and replays (same
 * H200: 5.04 ms per decode step against 16.46 ms without the graph; 3 tiny GRPO steps sampled the
 * same tokens as without it, docs/gpu.md). On a CPU it refuses with a clear message.
 *
 * <p>The pool id is a {@code c10::MempoolId_t} (a pair of two {@code uint64}, 16 bytes), which the
 * presets map under the Java type of {@code std::pair<std::vector<DeviceAssertionsData>,
 * std::vector<CUDAKernelLaunchInfo>>} (48 bytes). Passing it to the allocator works (the casts read
 * the 16 bytes), but JavaCPP frees it with that type's deallocator, which runs the two vectors'
 * destructors over memory that is not theirs: SIGSEGV in {@code libjnitorch_cuda.so}. So the id is
 * never freed (16 bytes per capture).
 */
public final class CudaGraph implements AutoCloseable {
  private final byte device;
  private final CUgraph_st graph;
  private final CUgraphExec_st exec;
  private final DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair pool;
  private boolean closed;

  private CudaGraph(
      byte device,
      CUgraph_st graph,
      CUgraphExec_st exec,
      DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair pool) {
    this.device = device;
    this.graph = graph;
    this.exec = exec;
    this.pool = pool;
  }

  /** Why {@code device} cannot capture graphs, or null when it can. */
  public static String unsupportedReason(Device device) {
    if (!device.is_cuda()) {
      return "CUDA graphs need a CUDA device, but this runs on "
          + device.str().getString()
          + " (leave the CUDA-graph switch off on CPUs)";
    }
    return Cuda.unavailableReason();
  }

  /**
   * A memory pool of the caching allocator that several graphs share (as vLLM captures one graph
   * per batch size into one pool): the memory a graph's work allocates and frees during its capture
   * can serve the next capture, so n graphs of a forward pass need about one forward's
   * intermediates, not n. Safe when the graphs are never replayed concurrently and their outputs
   * are written into tensors allocated outside the pool (a replay may overwrite the pool's memory
   * of any other graph). Each capture into it takes a use of the pool, each {@link #close} gives
   * one back; the allocator frees it after the last.
   */
  public static final class Pool {
    private final DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair id;

    private Pool(DeviceAssertionsDataVectorCUDAKernelLaunchInfoVectorPair id) {
      this.id = id;
    }

    /** A new pool id (pinned: see the class comment of {@link CudaGraph}). */
    public static Pool create() {
      return new Pool(Pinned.forever(MemPool.graph_pool_handle()));
    }
  }

  /** Runs {@code work} once, captures it as a graph and returns the graph, ready to replay. */
  public static CudaGraph capture(Device device, Runnable work) {
    return capture(device, null, work);
  }

  /**
   * {@link #capture(Device, Runnable)} with the graph's allocations in {@code shared} (null: a pool
   * of its own).
   */
  public static CudaGraph capture(Device device, Pool shared, Runnable work) {
    String why = unsupportedReason(device);
    if (why != null) throw new IllegalStateException(why);
    byte dev = device.has_index() ? device.index() : 0;
    CUDAStream previous = torch_cuda.getCurrentCUDAStream(dev);
    CUDAStream side = torch_cuda.getStreamFromPool(false, dev);
    previous.synchronize();
    torch_cuda.setCurrentCUDAStream(side);
    // pinned at once: an exception below would otherwise free it, mis-typed, with the step's scope
    var pool = shared != null ? shared.id : Pinned.forever(MemPool.graph_pool_handle());
    StreamFilter all =
        new StreamFilter() {
          @Override
          public boolean call(Pointer stream) {
            return true;
          }
        };
    CUgraph_st graph = new CUgraph_st();
    CUgraphExec_st exec = new CUgraphExec_st();
    boolean pooled = false;
    try {
      work.run(); // warm-up, outside the capture
      side.synchronize();
      torch_cuda.getAllocator().beginAllocateToPool(dev, pool, all);
      pooled = true; // one use of the pool: given back by close(), or below if the capture fails
      try {
        check(
            cudart.cudaStreamBeginCapture(side.stream(), cudart.cudaStreamCaptureModeThreadLocal),
            "cudaStreamBeginCapture");
        try {
          work.run();
        } finally {
          check(cudart.cudaStreamEndCapture(side.stream(), graph), "cudaStreamEndCapture");
        }
      } finally {
        torch_cuda.getAllocator().endAllocateToPool(dev, pool);
      }
      check(cudart.cudaGraphInstantiate(exec, graph, 0L), "cudaGraphInstantiate");
    } catch (RuntimeException | Error e) {
      if (pooled) torch_cuda.getAllocator().releasePool(dev, pool);
      throw e;
    } finally {
      torch_cuda.setCurrentCUDAStream(previous);
    }
    // the handles outlive the caller's PointerScope (a decode step's): released by close()
    graph.retainReference();
    exec.retainReference();
    return new CudaGraph(dev, graph, exec, pool);
  }

  /**
   * Launches the recorded work on libtorch's current stream, so it is ordered with the work around
   * it and the host does not wait for it.
   */
  public void replay() {
    if (closed) throw new IllegalStateException("CUDA graph already closed");
    check(
        cudart.cudaGraphLaunch(exec, torch_cuda.getCurrentCUDAStream(device).stream()),
        "cudaGraphLaunch");
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    cudart.cudaGraphExecDestroy(exec);
    cudart.cudaGraphDestroy(graph);
    torch_cuda.getAllocator().releasePool(device, pool);
    graph.releaseReference();
    exec.releaseReference();
    // pool: pinned, never freed (its Java type's deallocator would crash; see the class comment)
  }

  private static void check(int err, String what) {
    if (err != 0) {
      throw new IllegalStateException(
          what + " failed: error " + err + ": " + cudart.cudaGetErrorString(err).getString());
    }
  }
}
