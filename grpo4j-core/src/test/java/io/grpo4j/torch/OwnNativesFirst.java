package io.grpo4j.torch;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Loads grpo4j's own libtorch ({@link NativeLoader#load}) when a test JVM's JUnit session opens,
 * before any test class can touch a JavaCPP class and let JavaCPP load libtorch its own way (which
 * on an empty cache takes a system libtorch: see NativeLoader). Registered through {@code
 * META-INF/services}; part of grpo4j-core's test-jar, so every module's tests get it. A JVM without
 * the pytorch natives on its class path is left alone.
 */
public final class OwnNativesFirst implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    String platform = org.bytedeco.javacpp.Loader.Detector.getPlatform();
    boolean natives =
        OwnNativesFirst.class.getResource("/org/bytedeco/pytorch/" + platform + "/libjnitorch.so")
                != null
            || OwnNativesFirst.class.getResource(
                    "/org/bytedeco/pytorch/" + platform + "-gpu/libjnitorch.so")
                != null;
    if (natives) NativeLoader.load();
  }
}
