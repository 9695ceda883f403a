package io.srwmspark.workers.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A PNG line plot of one or more series over a shared x axis (e.g. accuracy against training minutes),
 * drawn with Java2D (headless), written atomically.
 */
public final class LearningCurve {

    /** One line: its legend label, colour and points. */
    public record Series(String label, Color color, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series '" + label + "' has " + x.length + " x and " + y.length
                        + " y values");
            }
        }
    }

    private LearningCurve() {
    }

    /** Writes the chart as a PNG file (temporary name, then rename). */
    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series)
            throws IOException {
        byte[] png = png(title, xLabel, yLabel, series);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".curve", ".png");
        try {
            Files.write(tmp, png);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The chart as PNG bytes; the legend sits in the lower right corner of the plot, where rising curves are not. */
    public static byte[] png(String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 560;
        int left = 80;
        int right = 30;
        int top = 50;
        int bottom = 70;
        double xmin = Double.POSITIVE_INFINITY;
        double xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY;
        double ymax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    xmin = Math.min(xmin, s.x()[i]);
                    xmax = Math.max(xmax, s.x()[i]);
                    ymin = Math.min(ymin, s.y()[i]);
                    ymax = Math.max(ymax, s.y()[i]);
                }
            }
        }
        if (!Double.isFinite(xmin)) {
            xmin = 0;
            xmax = 1;
            ymin = 0;
            ymax = 1;
        }
        if (xmax == xmin) {
            xmax = xmin + 1;
        }
        if (ymax == ymin) {
            ymax = ymin + 1;
        }
        double pad = 0.05 * (ymax - ymin);
        ymin -= pad;
        ymax += pad;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            double xv = xmin + i * (xmax - xmin) / 5;
            double yv = ymin + i * (ymax - ymin) / 5;
            int px = left + i * pw / 5;
            int py = top + ph - i * ph / 5;
            g.setColor(new Color(225, 225, 225));
            g.drawLine(px, top, px, top + ph);
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.BLACK);
            g.drawString(fmt(xv), px - 12, top + ph + 18);
            g.drawString(fmt(yv), left - 55, py + 4);
        }
        g.drawString(xLabel, left + pw / 2 - 40, h - 25);
        g.drawString(yLabel, 10, top - 10);
        g.setStroke(new BasicStroke(2f));
        int legendY = top + ph - 10 - 18 * (series.size() - 1);
        for (Series s : series) {
            g.setColor(s.color());
            int px0 = -1;
            int py0 = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                int px = left + (int) Math.round((s.x()[i] - xmin) / (xmax - xmin) * pw);
                int py = top + ph - (int) Math.round((s.y()[i] - ymin) / (ymax - ymin) * ph);
                if (px0 >= 0) {
                    g.drawLine(px0, py0, px, py);
                }
                g.fillOval(px - 2, py - 2, 4, 4);
                px0 = px;
                py0 = py;
            }
            g.drawLine(left + pw - 190, legendY - 4, left + pw - 165, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.label(), left + pw - 160, legendY);
            legendY += 18;
        }
        g.dispose();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
