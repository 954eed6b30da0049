package io.grpo4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpo4j.torch.CheckpointFormatException;
import io.grpo4j.torch.DType;
import io.grpo4j.torch.SafetensorsFile;
import io.grpo4j.torch.SafetensorsWriter;
import io.grpo4j.torch.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Device CPU = new Device("cpu");
  private static final long[][] IDS = {{0, 0, 5, 17, 3, 44, 9}, {12, 7, 7, 30, 2, 11, 48}};
  private static final long[][] VALID = {{0, 0, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}};

  private static Tensor ids() {
    return Tensors.longs(IDS);
  }

  private static Tensor valid() {
    return Tensors.longs(VALID).to(torch.ScalarType.Bool);
  }

  /** Random B as well (a fresh adapter has B = 0 and would hide any error in the A path). */
  private static LoraAdapters trained(Qwen2Config c, LoraConfig lc, long seed) {
    LoraAdapters a = LoraAdapters.initialize(c, lc, seed, CPU);
    torch.manual_seed(seed + 7);
    try (NoGradGuard ng = new NoGradGuard()) {
      for (LoraAdapters.Pair p : a.modules().values())
        p.b().copy_(torch.randn(Tensors.shape(p.b())).mul(new Scalar(0.3)));
    }
    return a;
  }

  @Test
  void freshAdaptersInitialiseAsPeftAndLeaveTheLogitsExactlyAsTheBase() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.random(c, 3);
      LoraAdapters fresh = LoraAdapters.initialize(c, LoraConfig.of(4, 8), 11, CPU);
      assertThat(fresh.modules()).hasSize(2 * 7);
      for (var e : fresh.modules().entrySet()) {
        long in = Qwen2Model.shapeOf(c, e.getKey() + ".weight")[1];
        double bound = 1 / Math.sqrt(in); // kaiming-uniform, a = √5: U(−1/√in, 1/√in)
        double[] a = Tensors.toDoubles(e.getValue().a());
        double largest = java.util.Arrays.stream(a).map(Math::abs).max().orElseThrow();
        assertThat(largest).isLessThanOrEqualTo(bound);
        assertThat(largest).as("A is drawn, not zero").isGreaterThan(bound / 2);
        assertThat(Tensors.toDoubles(e.getValue().b())).containsOnly(0.0);
      }
      double[] plain = Tensors.toDoubles(MicroModels.logits(base, ids(), valid()));
      double[] adapted =
          Tensors.toDoubles(MicroModels.logits(base.withLora(fresh), ids(), valid()));
      assertThat(adapted).containsExactly(plain);
      // the same seed draws the same adapters
      LoraAdapters again = LoraAdapters.initialize(c, LoraConfig.of(4, 8), 11, CPU);
      String first = fresh.modules().firstEntry().getKey();
      assertThat(Tensors.toDoubles(again.get(first).a()))
          .containsExactly(Tensors.toDoubles(fresh.get(first).a()));
    }
  }

  /** Σ hidden · w with a fixed random w (the loss of {@link #grads}), without autograd. */
  private static double lossValue(Qwen2Model m) {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor valid = valid();
      Tensor h =
          m.hidden(
              ids(), AttentionMask.positions(valid), AttentionMask.of(valid, IDS[0].length), null);
      torch.manual_seed(99);
      Tensor w = torch.randn(Tensors.shape(h)).to(h.scalar_type());
      return h.mul(w).sum().item_double();
    }
  }

  @Test
  void adapterGradientsMatchCentralDifferencesInFloat64() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.toDouble(MicroModels.random(c, 5));
      LoraConfig lc = new LoraConfig(3, 6, 0.0, LoraConfig.ALL_MODULES, false);
      LoraAdapters ad = trained(c, lc, 21).to(torch.ScalarType.Double, CPU);
      Qwen2Model m = base.withLora(ad);
      m.setRequiresGrad(true);
      List<double[]> grads = grads(m, ad, false);
      for (Tensor w : base.parameters().values())
        assertThat(w.grad().defined()).as("the base stays frozen").isFalse();
      double eps = 1e-6;
      int checked = 0;
      double largest = 0;
      int k = 0;
      for (var e : ad.parameters().entrySet()) {
        Tensor p = e.getValue();
        double[] grad = grads.get(k++);
        Tensor flat = p.detach().view(-1);
        // three entries of every tensor: first, middle, last
        for (long i : new long[] {0, flat.size(0) / 2, flat.size(0) - 1}) {
          double x0 = flat.get(i).item_double();
          flat.get(i).fill_(new Scalar(x0 + eps));
          double up = lossValue(m);
          flat.get(i).fill_(new Scalar(x0 - eps));
          double down = lossValue(m);
          flat.get(i).fill_(new Scalar(x0));
          double numeric = (up - down) / (2 * eps);
          assertThat(grad[(int) i])
              .as("d loss / d %s[%d]", e.getKey(), i)
              .isCloseTo(numeric, within(1e-6 * Math.max(1, Math.abs(numeric))));
          largest = Math.max(largest, Math.abs(numeric));
          checked++;
        }
      }
      assertThat(checked).isEqualTo(2 * 7 * 2 * 3);
      assertThat(largest).as("the loss must reach the adapters").isGreaterThan(1e-2);
    }
  }

  @Test
  void dropoutMasksAreRedrawnIdenticallyWhenALayerIsRecomputed() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(3);
      Qwen2Model base = MicroModels.toDouble(MicroModels.random(c, 6));
      LoraConfig lc = new LoraConfig(2, 4, 0.3, List.of("q_proj", "v_proj", "down_proj"), false);
      LoraAdapters ad = trained(c, lc, 8).to(torch.ScalarType.Double, CPU);
      Qwen2Model m = base.withLora(ad);
      m.setRequiresGrad(true);
      List<double[]> plain = grads(m.training(42), ad, false);
      List<double[]> checkpointed = grads(m.training(42), ad, true);
      List<double[]> otherSeed = grads(m.training(43), ad, false);
      List<double[]> noDropout = grads(m, ad, false);
      for (int i = 0; i < plain.size(); i++)
        assertThat(checkpointed.get(i)).containsExactly(plain.get(i), within(1e-12));
      assertThat(otherSeed.get(0)).isNotEqualTo(plain.get(0));
      assertThat(noDropout.get(0)).isNotEqualTo(plain.get(0));
      // outside training the adapters never drop: the view without a seed is deterministic
      assertThat(lossValue(m)).isEqualTo(lossValue(m));
    }
  }

  /**
   * Gradients of Σ hidden · w (fixed random w: reaches every hidden unit) in every adapter tensor,
   * through a training pass with or without layer checkpointing.
   */
  private static List<double[]> grads(Qwen2Model m, LoraAdapters ad, boolean checkpointed) {
    for (Tensor p : ad.parameters().values()) if (p.grad().defined()) p.mutable_grad().zero_();
    Tensor valid = valid();
    TrainingForward f =
        m.trainingForward(
            ids(),
            AttentionMask.positions(valid),
            AttentionMask.of(valid, IDS[0].length),
            checkpointed);
    torch.manual_seed(99);
    Tensor w = torch.randn(Tensors.shape(f.hidden())).to(f.hidden().scalar_type());
    f.hidden().mul(w).sum().backward();
    f.backward();
    List<double[]> out = new ArrayList<>();
    for (Tensor p : ad.parameters().values()) out.add(Tensors.toDoubles(p.grad()));
    return out;
  }

  @Test
  void mergedAndUnmergedModelsGiveTheSameLogits() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.random(c, 9);
      LoraAdapters ad = trained(c, new LoraConfig(4, 16, 0, LoraConfig.ALL_MODULES, true), 1);
      Qwen2Model view = base.withLora(ad);
      Qwen2Model merged = view.merged();
      double[] a = Tensors.toDoubles(MicroModels.logits(view, ids(), valid()));
      double[] b = Tensors.toDoubles(MicroModels.logits(merged, ids(), valid()));
      double[] plain = Tensors.toDoubles(MicroModels.logits(base, ids(), valid()));
      assertThat(b).containsExactly(a, within(2e-5));
      assertThat(maxDiff(a, plain)).as("the adapters change the logits").isGreaterThan(0.05);
      // the merged copy follows the adapters through mergeInto
      try (NoGradGuard ng = new NoGradGuard()) {
        for (LoraAdapters.Pair p : ad.modules().values()) p.b().mul_(new Scalar(-1.5));
      }
      view.mergeInto(merged);
      double[] a2 = Tensors.toDoubles(MicroModels.logits(view, ids(), valid()));
      double[] b2 = Tensors.toDoubles(MicroModels.logits(merged, ids(), valid()));
      assertThat(b2).containsExactly(a2, within(2e-5));
      assertThat(maxDiff(a2, a)).isGreaterThan(0.05);
      // the base itself is untouched by merging
      assertThat(Tensors.toDoubles(MicroModels.logits(base, ids(), valid())))
          .containsExactly(plain);
    }
  }

  private static double maxDiff(double[] a, double[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  /**
   * A PEFT adapter written from PEFT's documented layout (not by our writer's knowledge of it): the
   * config as {@code LoraConfig.save_pretrained} writes it, the weights in bf16 under {@code
   * base_model.model.<module>.lora_A.weight} [r, in] / {@code lora_B.weight} [out, r]. Loaded, the
   * adapted model's logits equal an independent forward pass over W + (α/r)·B·A, computed here in
   * float64.
   */
  @Test
  void aPeftLayoutAdapterLoadsAndActsAsItsMergedWeights(@TempDir Path dir) throws Exception {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.random(c, 12);
      int r = 2;
      double alpha = 5;
      Files.writeString(
          dir.resolve("adapter_config.json"),
          """
          {
            "alpha_pattern": {},
            "auto_mapping": null,
            "base_model_name_or_path": "Qwen/Qwen2.5-1.5B-Instruct",
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "layer_replication": null,
            "layers_pattern": null,
            "layers_to_transform": null,
            "loftq_config": {},
            "lora_alpha": 5,
            "lora_dropout": 0.05,
            "megatron_config": null,
            "megatron_core": "megatron.core",
            "modules_to_save": null,
            "peft_type": "LORA",
            "r": 2,
            "rank_pattern": {},
            "revision": null,
            "target_modules": ["v_proj", "q_proj", "down_proj"],
            "task_type": "CAUSAL_LM",
            "use_dora": false,
            "use_rslora": false
          }
          """);
      // [out, in] from the micro config: hidden 32, 4 query heads and 2 KV heads of 8, MLP 64
      SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
      Map<String, long[]> outIn =
          Map.of(
              "self_attn.q_proj", new long[] {32, 32},
              "self_attn.v_proj", new long[] {16, 32},
              "mlp.down_proj", new long[] {32, 64});
      torch.manual_seed(5);
      for (int l = 0; l < 2; l++) {
        for (String m : List.of("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj")) {
          String key = "base_model.model.model.layers." + l + "." + m;
          long[] oi = outIn.get(m);
          tensors.put(
              key + ".lora_A.weight",
              torch
                  .randn(new long[] {r, oi[1]})
                  .mul(new Scalar(0.3))
                  .to(torch.ScalarType.BFloat16));
          tensors.put(
              key + ".lora_B.weight",
              torch
                  .randn(new long[] {oi[0], r})
                  .mul(new Scalar(0.3))
                  .to(torch.ScalarType.BFloat16));
        }
      }
      SafetensorsWriter.write(
          dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));

      LoraAdapters ad = LoraAdapters.load(dir, c, CPU);
      assertThat(ad.config().r()).isEqualTo(r);
      assertThat(ad.config().scaling()).isEqualTo(alpha / r);
      assertThat(ad.config().dropout()).isEqualTo(0.05);
      assertThat(ad.config().targetModules()).containsExactly("q_proj", "v_proj", "down_proj");
      assertThat(LoraAdapters.baseModel(dir)).isEqualTo("Qwen/Qwen2.5-1.5B-Instruct");

      // W + (α/r)·B·A by hand, in float64, through the independent reference forward pass
      SequencedMap<String, Tensor> merged = new LinkedHashMap<>();
      for (var e : base.parameters().entrySet())
        merged.put(e.getKey(), e.getValue().detach().to(torch.ScalarType.Double).clone());
      for (int l = 0; l < 2; l++) {
        for (String m : List.of("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj")) {
          String key = "base_model.model.model.layers." + l + "." + m;
          Tensor a = tensors.get(key + ".lora_A.weight").to(torch.ScalarType.Double);
          Tensor b = tensors.get(key + ".lora_B.weight").to(torch.ScalarType.Double);
          merged
              .get("model.layers." + l + "." + m + ".weight")
              .add_(b.matmul(a).mul(new Scalar(alpha / r)));
        }
      }
      int[] row = {12, 7, 7, 30, 2, 11, 48};
      double[] expected =
          Tensors.toDoubles(Qwen2ModelTest.referenceLogits(new Qwen2Model(c, merged), row));
      long[][] one = {{12, 7, 7, 30, 2, 11, 48}};
      Tensor v = Tensors.longs(new long[][] {{1, 1, 1, 1, 1, 1, 1}}).to(torch.ScalarType.Bool);
      double[] got =
          Tensors.toDoubles(MicroModels.logits(base.withLora(ad), Tensors.longs(one), v));
      assertThat(got).containsExactly(expected, within(1e-4));
      double[] plain = Tensors.toDoubles(MicroModels.logits(base, Tensors.longs(one), v));
      assertThat(maxDiff(got, plain)).as("the adapter matters").isGreaterThan(0.05);
    }
  }

  @Test
  void whatWeWriteIsPeftsLayoutAndRoundTrips(@TempDir Path dir) throws Exception {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      LoraConfig lc = new LoraConfig(3, 7.5, 0.1, List.of("k_proj", "gate_proj", "o_proj"), false);
      LoraAdapters ad = trained(c, lc, 4);
      ad.save(dir, "/models/base", DType.F32);

      JsonNode cfg = JSON.readTree(dir.resolve("adapter_config.json").toFile());
      assertThat(cfg.path("peft_type").asText()).isEqualTo("LORA");
      assertThat(cfg.path("r").asInt()).isEqualTo(3);
      assertThat(cfg.path("lora_alpha").asDouble()).isEqualTo(7.5);
      assertThat(cfg.path("lora_dropout").asDouble()).isEqualTo(0.1);
      assertThat(cfg.path("base_model_name_or_path").asText()).isEqualTo("/models/base");
      assertThat(cfg.path("bias").asText()).isEqualTo("none");
      assertThat(cfg.path("task_type").asText()).isEqualTo("CAUSAL_LM");
      assertThat(cfg.path("use_rslora").asBoolean(true)).isFalse();
      List<String> targets = new ArrayList<>();
      cfg.path("target_modules").forEach(t -> targets.add(t.asText()));
      assertThat(targets).containsExactly("k_proj", "o_proj", "gate_proj");

      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
        assertThat(f.metadata()).containsEntry("format", "pt");
        assertThat(f.tensors()).hasSize(2 * 3 * 2);
        // [r, in] and [out, r] under the module path behind PEFT's prefix, no adapter name
        assertThat(
                f.tensors()
                    .get("base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight")
                    .shape())
            .containsExactly(3, 32);
        assertThat(
                f.tensors()
                    .get("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")
                    .shape())
            .containsExactly(16, 3);
        assertThat(
                f.tensors()
                    .get("base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight")
                    .shape())
            .containsExactly(3, 32);
        assertThat(
                f.tensors()
                    .get("base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight")
                    .shape())
            .containsExactly(64, 3);
      }
      LoraAdapters back = LoraAdapters.load(dir, c, CPU);
      assertThat(back.config()).isEqualTo(lc);
      assertThat(back.parameters().keySet()).containsExactlyElementsOf(ad.parameters().keySet());
      for (var e : ad.parameters().entrySet())
        assertThat(Tensors.toDoubles(back.parameters().get(e.getKey())))
            .containsExactly(Tensors.toDoubles(e.getValue()));
    }
  }

  @Test
  void adaptersThatCannotBeAppliedExactlyAreRefusedNamingTheFieldOrTensor(@TempDir Path tmp)
      throws Exception {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      LoraAdapters ad = trained(c, new LoraConfig(2, 4, 0, List.of("q_proj"), false), 4);
      Path good = tmp.resolve("good");
      ad.save(good, "base", DType.F32);
      String cfg = Files.readString(good.resolve("adapter_config.json"));

      Path dora = copy(good, tmp.resolve("dora"));
      Files.writeString(
          dora.resolve("adapter_config.json"),
          cfg.replace("\"use_dora\" : false", "\"use_dora\" : true"));
      assertThatThrownBy(() -> LoraAdapters.load(dora, c, CPU))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("adapter_config.json")
          .hasMessageContaining("use_dora");

      Path ranks = copy(good, tmp.resolve("ranks"));
      Files.writeString(
          ranks.resolve("adapter_config.json"),
          cfg.replace("\"rank_pattern\" : { }", "\"rank_pattern\" : {\"q_proj\": 8}"));
      assertThatThrownBy(() -> LoraAdapters.load(ranks, c, CPU))
          .hasMessageContaining("rank_pattern");

      Path other = copy(good, tmp.resolve("ia3"));
      Files.writeString(other.resolve("adapter_config.json"), cfg.replace("\"LORA\"", "\"IA3\""));
      assertThatThrownBy(() -> LoraAdapters.load(other, c, CPU)).hasMessageContaining("peft_type");

      Path wrongR = copy(good, tmp.resolve("wrong-r"));
      Files.writeString(
          wrongR.resolve("adapter_config.json"), cfg.replace("\"r\" : 2", "\"r\" : 3"));
      assertThatThrownBy(() -> LoraAdapters.load(wrongR, c, CPU))
          .isInstanceOf(CheckpointFormatException.class)
          .hasMessageContaining("adapter_model.safetensors")
          .hasMessageContaining("q_proj.lora_A.weight")
          .hasMessageContaining("shape");

      Path moreTargets = copy(good, tmp.resolve("more-targets"));
      Files.writeString(
          moreTargets.resolve("adapter_config.json"),
          cfg.replace("[ \"q_proj\" ]", "[ \"q_proj\", \"up_proj\" ]"));
      assertThatThrownBy(() -> LoraAdapters.load(moreTargets, c, CPU))
          .hasMessageContaining("missing")
          .hasMessageContaining("up_proj.lora_A.weight");

      Path fewerTargets = copy(good, tmp.resolve("fewer-targets"));
      Files.writeString(
          fewerTargets.resolve("adapter_config.json"),
          cfg.replace("[ \"q_proj\" ]", "[ \"k_proj\" ]"));
      assertThatThrownBy(() -> LoraAdapters.load(fewerTargets, c, CPU))
          .hasMessageContaining("q_proj.lora_A.weight")
          .hasMessageContaining("not in target_modules");

      Qwen2Config deeper = MicroModels.config(1);
      assertThatThrownBy(() -> LoraAdapters.load(good, deeper, CPU))
          .hasMessageContaining("layer 1 does not exist");

      Path empty = tmp.resolve("empty");
      Files.createDirectories(empty);
      assertThatThrownBy(() -> LoraAdapters.load(empty, c, CPU))
          .hasMessageContaining("adapter_config.json");
    }
  }

  private static Path copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var s = Files.list(from)) {
      for (Path p : s.toList()) Files.copy(p, to.resolve(p.getFileName()));
    }
    return to;
  }

  /**
   * Several adapters on one base in one batch: every row's logits equal those of the base with its
   * own adapter alone (or none).
   */
  @Test
  void routedRowsEachSeeTheirOwnAdapter() {
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.random(c, 2);
      LoraAdapters x = trained(c, LoraConfig.of(2, 4), 30);
      LoraAdapters y = trained(c, new LoraConfig(3, 3, 0, List.of("v_proj", "up_proj"), false), 31);
      long[][] three = {IDS[1], IDS[0], IDS[1]};
      long[][] valid3 = {VALID[1], VALID[0], VALID[1]};
      Tensor ids = Tensors.longs(three);
      Tensor valid = Tensors.longs(valid3).to(torch.ScalarType.Bool);
      Qwen2Model routed =
          base.routed(
              List.of(
                  new Qwen2Model.AdapterRows(x, Tensors.longs(0)),
                  new Qwen2Model.AdapterRows(y, Tensors.longs(2))));
      Tensor all = MicroModels.logits(routed, ids, valid);
      Qwen2Model[] alone = {base.withLora(x), base, base.withLora(y)};
      for (int row = 0; row < 3; row++) {
        Tensor one = MicroModels.logits(alone[row], ids.narrow(0, row, 1), valid.narrow(0, row, 1));
        assertThat(Tensors.toDoubles(all.narrow(0, row, 1)))
            .containsExactly(Tensors.toDoubles(one), within(1e-5));
      }
    }
  }

  /**
   * A LoRA checkpoint folder opens as a model folder: its base from base_model_name_or_path, the
   * adapter on top; exporting it writes the merged weights as a plain HF folder.
   */
  @Test
  void anAdapterFolderOpensAsItsBasePlusAdapterAndExportsMerged(@TempDir Path tmp)
      throws Exception {
    try (PointerScope s = new PointerScope()) {
      Path baseDir = tmp.resolve("base");
      TinyPreset.write("tiny", baseDir, 3, DType.F32);
      Qwen2Model base =
          HfCheckpoint.loadWeights(
              baseDir, Qwen2Config.read(baseDir.resolve("config.json")), DType.F32, CPU);
      LoraAdapters ad = trained(base.config(), LoraConfig.of(2, 4), 6);
      Path adapterDir = tmp.resolve("adapter");
      ad.save(adapterDir, baseDir.toAbsolutePath().toString(), DType.F32);
      long[][] row = {{40, 41, 42, 43, 44}};
      Tensor ids = Tensors.longs(row);
      Tensor v = Tensors.longs(new long[][] {{1, 1, 1, 1, 1}}).to(torch.ScalarType.Bool);
      double[] expected = Tensors.toDoubles(MicroModels.logits(base.withLora(ad), ids, v));
      try (ModelFolder f = ModelFolder.open(adapterDir)) {
        assertThat(f.dir()).isEqualTo(baseDir.toAbsolutePath());
        assertThat(f.adapters()).containsExactly(adapterDir);
        Qwen2Model m = f.loadModel(DType.F32, CPU);
        assertThat(m.lora()).isNotNull();
        assertThat(Tensors.toDoubles(MicroModels.logits(m, ids, v))).containsExactly(expected);
        assertThatThrownBy(
                () -> HfCheckpoint.save(m, tmp.resolve("x"), DType.F32, null, null, 1 << 30))
            .hasMessageContaining("merged");
        f.exportTo(tmp.resolve("merged"), DType.F32);
      }
      try (ModelFolder merged = ModelFolder.open(tmp.resolve("merged"))) {
        assertThat(merged.adapters()).isEmpty();
        double[] got =
            Tensors.toDoubles(MicroModels.logits(merged.loadModel(DType.F32, CPU), ids, v));
        assertThat(got).containsExactly(expected, within(1e-4));
        assertThat(Files.exists(tmp.resolve("merged").resolve("tokenizer.json"))).isTrue();
      }
      // a hub id as the base: a clear error that says how to give the base
      Path hub = tmp.resolve("hub");
      ad.save(hub, "Qwen/Qwen2.5-1.5B-Instruct", DType.F32);
      assertThatThrownBy(() -> ModelFolder.open(hub))
          .hasMessageContaining("Qwen/Qwen2.5-1.5B-Instruct")
          .hasMessageContaining("--adapter");
      try (ModelFolder explicit = ModelFolder.open(baseDir).withAdapter(hub)) {
        assertThat(
                Tensors.toDoubles(MicroModels.logits(explicit.loadModel(DType.F32, CPU), ids, v)))
            .containsExactly(expected);
      }
    }
  }

  /** QLoRA's idea with our int8: the adapters train on top of the int8 base. */
  @Test
  void adaptersTrainOnAnInt8Base() {
    try (PointerScope s = new PointerScope()) {
      Qwen2Config c = MicroModels.config(2);
      Qwen2Model base = MicroModels.random(c, 4).quantizedInt8();
      LoraAdapters ad = trained(c, LoraConfig.of(2, 4), 3);
      Qwen2Model m = base.withLora(ad);
      m.setRequiresGrad(true);
      for (double[] g : grads(m, ad, true))
        assertThat(java.util.Arrays.stream(g).map(Math::abs).max().orElseThrow()).isGreaterThan(0);
      assertThatThrownBy(m::merged).hasMessageContaining("float model");
    }
  }
}
