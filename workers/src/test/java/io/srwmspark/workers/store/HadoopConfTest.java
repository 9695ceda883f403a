package io.srwmspark.workers.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hadoop settings given as spark.hadoop.* reach every run folder and dataset opened afterwards. */
class HadoopConfTest {

    /** The local disk under a scheme of its own, known to Hadoop only through a setting. */
    public static final class OtherSchemeFileSystem extends RawLocalFileSystem {
        static final String SCHEME = "srwmconftest";

        @Override
        public URI getUri() {
            return URI.create(SCHEME + ":///");
        }

        @Override
        public String getScheme() {
            return SCHEME;
        }
    }

    private static final String IMPL = "fs." + OtherSchemeFileSystem.SCHEME + ".impl";
    private static final String NO_CACHE = IMPL + ".disable.cache";
    private static final String KEY = "srwm.test.setting";

    @TempDir
    Path tmp;

    @AfterEach
    void clear() {
        for (String k : new String[] {IMPL, NO_CACHE, KEY}) {
            System.clearProperty(HadoopConf.PREFIX + k);
        }
        HadoopConf.clearInstalled();
    }

    @Test
    void aFileSystemConfiguredAsSparkHadoopSystemPropertiesOpensRunFolders() throws IOException {
        String location = OtherSchemeFileSystem.SCHEME + "://" + tmp.resolve("run").toUri().getPath();
        IOException unknown = assertThrows(IOException.class, () -> RunStore.open(location));
        assertTrue(unknown.getMessage().contains(OtherSchemeFileSystem.SCHEME), unknown.getMessage());

        System.setProperty(HadoopConf.PREFIX + IMPL, OtherSchemeFileSystem.class.getName());
        System.setProperty(HadoopConf.PREFIX + NO_CACHE, "true");
        RunStore run = RunStore.open(location);
        run.writeBytes("a.txt", "hello".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(tmp.resolve("run/a.txt")));
        assertEquals(java.util.List.of("a.txt"), run.list());
    }

    @Test
    void installedSparkSettingsWinOverSystemPropertiesAndNameTheirSource() {
        System.setProperty(HadoopConf.PREFIX + KEY, "from-property");
        Configuration c = HadoopConf.create();
        assertEquals("from-property", c.get(KEY));
        assertEquals("system property " + HadoopConf.PREFIX + KEY, c.getPropertySources(KEY)[0]);

        HadoopConf.install(Map.of(KEY, "from-spark"));
        Configuration d = HadoopConf.create();
        assertEquals("from-spark", d.get(KEY));
        assertTrue(Arrays.asList(d.getPropertySources(KEY)).contains("Spark configuration " + HadoopConf.PREFIX + KEY),
                Arrays.toString(d.getPropertySources(KEY)));
        assertEquals("from-property", c.get(KEY), "a configuration already made keeps its values");
        assertEquals(Map.of(KEY, "from-spark"), HadoopConf.installed());
    }

    @Test
    void aSettingWithoutKeyOrValueIsRefused() {
        Map<String, String> blank = new HashMap<>();
        blank.put(" ", "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HadoopConf.install(blank));
        assertTrue(e.getMessage().contains("needs a key and a value"), e.getMessage());
        Map<String, String> noValue = new HashMap<>();
        noValue.put(KEY, null);
        assertThrows(IllegalArgumentException.class, () -> HadoopConf.install(noValue));
        assertTrue(HadoopConf.installed().isEmpty(), "nothing installed from a refused map");
    }
}
