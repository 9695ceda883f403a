package io.srwmspark.driver;

import io.srwmspark.workers.fewshot.AllReduceRound;
import io.srwmspark.workers.fewshot.GradientSum;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exchange of {@code train.allreduce-steps} rounds: a reducer on the driver that the tasks of a round's barrier
 * stage reach over TCP. Each step every task sends its shard's gradient sum; once all P have arrived the reducer
 * adds them in partition order (as the driver does for a one-job-per-step run) and sends the total back to every
 * task. Spark's own {@code BarrierTaskContext.allGather} is not used: in Spark 3.5 a task waiting in it polls its
 * RPC reply with a one-second sleep, so every step would take a second longer.
 *
 * <p>Protocol (big-endian), on one connection per task and round:
 * <pre>
 *   task to driver, once:      MAGIC (int), token (long), partition (int), stage attempt (int)
 *   task to driver, per step:  step (long), n (int), n bytes: the shard's GradientSum, Java-serialized
 *   driver to task, per step:  step (long), n (int), n bytes: the total, Java-serialized
 * </pre>
 * The token (random per round, shipped inside the task) keeps stray connections out; the traffic is not
 * encrypted. A retried stage (a new attempt) replaces the connections of the failed one. A task waiting for a
 * total wakes every second to see whether Spark killed it; data arriving wakes it at once.
 */
final class TcpAllReduce {

    private static final Logger LOG = LoggerFactory.getLogger(TcpAllReduce.class);
    static final int MAGIC = 0x5352_4152;                                  // "SRAR"
    private static final int WAKE_MILLIS = 1000;
    private static final int CONNECT_MILLIS = 60_000;

    private TcpAllReduce() {
    }

    /** Where the tasks of a round send their sums, and how many the reducer expects. */
    record Endpoint(String host, int port, long token, int partitions, int size) implements Serializable {
    }

    /** A Java-serialized gradient sum. */
    static byte[] encode(GradientSum sum) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 * sum.size() + 512);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(sum);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    static GradientSum decode(byte[] bytes, int size, String what) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            GradientSum g = (GradientSum) in.readObject();
            if (g.size() != size) {
                throw new IOException(what + ": a gradient sum of " + g.size() + " parameters, expected " + size);
            }
            return g;
        } catch (ClassNotFoundException | ClassCastException ex) {
            throw new IOException(what + ": not a gradient sum (" + ex.getMessage() + ")", ex);
        }
    }

    /**
     * Longest message accepted for {@code size} parameters: 4 bytes per float, Java serialization's block headers
     * (5 bytes per 1 KiB block) and the class descriptors.
     */
    static int maxMessage(int size) {
        return Math.toIntExact(Math.min(Integer.MAX_VALUE - 64, 5L * size + 65536));
    }

    /** The driver's reducer: one server socket for the run, one round at a time. */
    static final class Server implements AutoCloseable {

        private final ServerSocket socket;
        private final String host;
        private final SecureRandom random = new SecureRandom();
        private final AtomicInteger connections = new AtomicInteger();
        private volatile Round round;

        /**
         * @param bindHost      the address to listen on (Spark's {@code spark.driver.bindAddress})
         * @param advertiseHost the address tasks connect to ({@code spark.driver.host})
         */
        Server(String bindHost, String advertiseHost) throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(bindHost, 0), 128);
            host = advertiseHost;
            Thread acceptor = new Thread(this::accept, "srwm-allreduce-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        /** Opens a round of {@code partitions} shards of {@code size} parameters; its endpoint goes to the tasks. */
        synchronized Endpoint open(int partitions, int size) {
            if (round != null) {
                round.close();
            }
            round = new Round(random.nextLong(), partitions, size);
            return new Endpoint(host, port(), round.token, partitions, size);
        }

        /** Ends the current round, closing its connections (tasks still waiting fail). */
        synchronized void closeRound() {
            if (round != null) {
                round.close();
                round = null;
            }
        }

        @Override
        public void close() {
            closeRound();
            try {
                socket.close();
            } catch (IOException ex) {
                LOG.debug("closing the all-reduce socket", ex);
            }
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread t = new Thread(() -> serve(s), "srwm-allreduce-" + connections.incrementAndGet());
                    t.setDaemon(true);
                    t.start();
                } catch (IOException ex) {
                    if (!socket.isClosed()) {
                        LOG.warn("all-reduce server: accept failed: {}", ex.toString());
                    }
                }
            }
        }

        /** One task's connection: its handshake, then one sum per step. */
        private void serve(Socket s) {
            Connection c = null;
            Round r = round;
            try {
                s.setTcpNoDelay(true);
                s.setSoTimeout(CONNECT_MILLIS);              // a peer that never says hello does not hold a thread
                InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                ByteBuffer hello;
                try {
                    hello = ByteBuffer.wrap(readHello(in));
                } finally {
                    s.setSoTimeout(0);                       // then a step may take as long as it takes
                }
                if (hello.getInt() != MAGIC || r == null || hello.getLong() != r.token) {
                    throw new IOException("a connection from " + s.getRemoteSocketAddress() + " that is not a task "
                            + "of the current all-reduce round");
                }
                int partition = hello.getInt();
                int attempt = hello.getInt();
                c = new Connection(s, partition, attempt);
                r.join(c);
                byte[] header = new byte[12];
                while (true) {
                    ByteBuffer h = ByteBuffer.wrap(readFully(in, header, null));
                    long step = h.getLong();
                    int n = h.getInt();
                    if (n < 0 || n > maxMessage(r.size)) {
                        throw new IOException("partition " + partition + " sent a message of " + n + " bytes");
                    }
                    GradientSum g = decode(readFully(in, new byte[n], null), r.size, "partition " + partition
                            + ", step " + step);
                    r.deposit(c, step, g);
                }
            } catch (EOFException ex) {
                // the task closed its connection: the round ended, or the task failed (Spark then fails the stage)
            } catch (IOException ex) {
                if (r != null && !r.closed) {
                    LOG.warn("all-reduce server: {}", ex.getMessage());
                }
            } finally {
                try {
                    s.close();
                } catch (IOException ex) {
                    LOG.debug("closing an all-reduce connection", ex);
                }
            }
        }
    }

    /** A task's connection on the driver. */
    private static final class Connection {
        final Socket socket;
        final int partition;
        final int attempt;
        final DataOutputStream out;

        Connection(Socket socket, int partition, int attempt) throws IOException {
            this.socket = socket;
            this.partition = partition;
            this.attempt = attempt;
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        }

        synchronized void send(long step, byte[] total) throws IOException {
            out.writeLong(step);
            out.writeInt(total.length);
            out.write(total);
            out.flush();
        }
    }

    /** The reducer's state for one round: the current attempt's connections and the sums of the step under way. */
    private static final class Round {
        final long token;
        final int partitions;
        final int size;
        private int attempt = -1;
        private Connection[] joined;
        private final Map<Long, GradientSum[]> pending = new HashMap<>();
        volatile boolean closed;

        Round(long token, int partitions, int size) {
            this.token = token;
            this.partitions = partitions;
            this.size = size;
        }

        synchronized void join(Connection c) throws IOException {
            if (closed) {
                throw new IOException("the all-reduce round has ended");
            }
            if (c.partition < 0 || c.partition >= partitions) {
                throw new IOException("partition " + c.partition + " is not in [0, " + partitions + ")");
            }
            if (c.attempt < attempt) {
                throw new IOException("partition " + c.partition + " of stage attempt " + c.attempt + " joined after"
                        + " attempt " + attempt);
            }
            if (c.attempt > attempt) {                        // Spark retried the stage: start the round over
                closeJoined();
                attempt = c.attempt;
                joined = new Connection[partitions];
                pending.clear();
            }
            if (joined[c.partition] != null) {
                throw new IOException("partition " + c.partition + " joined twice in stage attempt " + attempt);
            }
            joined[c.partition] = c;
        }

        /** Adds partition c's sum of {@code step}; the last of the step's P sums sends the total to every task. */
        void deposit(Connection c, long step, GradientSum g) throws IOException {
            List<Connection> to;
            GradientSum[] sums;
            synchronized (this) {
                if (c.attempt != attempt || closed) {
                    throw new IOException("partition " + c.partition + " of a finished attempt sent step " + step);
                }
                sums = pending.computeIfAbsent(step, s -> new GradientSum[partitions]);
                if (sums[c.partition] != null) {
                    throw new IOException("partition " + c.partition + " sent step " + step + " twice");
                }
                sums[c.partition] = g;
                for (GradientSum x : sums) {
                    if (x == null) {
                        return;
                    }
                }
                pending.remove(step);
                to = new ArrayList<>(Arrays.asList(joined));
            }
            byte[] total = encode(GradientSum.sum(size, Arrays.asList(sums)));
            for (Connection t : to) {
                if (t == null) {
                    throw new IOException("step " + step + " is complete but a partition has no connection");
                }
                t.send(step, total);
            }
        }

        synchronized void close() {
            closed = true;
            closeJoined();
        }

        private void closeJoined() {
            if (joined == null) {
                return;
            }
            for (Connection c : joined) {
                if (c != null) {
                    try {
                        c.socket.close();
                    } catch (IOException ex) {
                        LOG.debug("closing an all-reduce connection", ex);
                    }
                }
            }
        }
    }

    /** A task's side: sends its sums and reads the totals. */
    static final class Client implements AllReduceRound.Exchange, AutoCloseable {

        private final Endpoint endpoint;
        private final int partition;
        private final Socket socket;
        private final InputStream in;
        private final DataOutputStream out;

        Client(Endpoint endpoint, int partition, int attempt) {
            this.endpoint = endpoint;
            this.partition = partition;
            try {
                socket = new Socket();
                socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), CONNECT_MILLIS);
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(WAKE_MILLIS);
                in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
                out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
                out.writeInt(MAGIC);
                out.writeLong(endpoint.token());
                out.writeInt(partition);
                out.writeInt(attempt);
                out.flush();
            } catch (IOException ex) {
                throw new UncheckedIOException("partition " + partition + " cannot reach the all-reduce reducer on "
                        + "the driver at " + endpoint.host() + ":" + endpoint.port() + " (" + ex.getMessage() + ")",
                        ex);
            }
        }

        @Override
        public GradientSum allReduce(long step, GradientSum own) {
            try {
                byte[] mine = encode(own);
                out.writeLong(step);
                out.writeInt(mine.length);
                out.write(mine);
                out.flush();
                TaskContext task = TaskContext.get();
                ByteBuffer h = ByteBuffer.wrap(readFully(in, new byte[12], task));
                long got = h.getLong();
                int n = h.getInt();
                if (got != step || n < 0 || n > maxMessage(endpoint.size())) {
                    throw new IOException("expected the total of step " + step + ", got step " + got + " (" + n
                            + " bytes)");
                }
                return decode(readFully(in, new byte[n], task), endpoint.size(), "the total of step " + step);
            } catch (IOException ex) {
                throw new UncheckedIOException("partition " + partition + ", step " + step + ": all-reduce with the "
                        + "driver at " + endpoint.host() + ":" + endpoint.port() + " failed: " + ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ex) {
                LOG.debug("closing the all-reduce connection", ex);
            }
        }
    }

    /** The 20-byte handshake; a read that times out ends the connection. */
    private static byte[] readHello(InputStream in) throws IOException {
        byte[] buf = new byte[20];
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                throw new EOFException("connection closed during the handshake");
            }
            off += n;
        }
        return buf;
    }

    /**
     * Fills {@code buf} from {@code in}; a read that times out (a socket's {@code SO_TIMEOUT}) lets a task see
     * whether Spark killed it, then goes on where it was.
     */
    private static byte[] readFully(InputStream in, byte[] buf, TaskContext task) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n;
            try {
                n = in.read(buf, off, buf.length - off);
            } catch (SocketTimeoutException ex) {
                if (task != null) {
                    task.killTaskIfInterrupted();
                }
                continue;
            }
            if (n < 0) {
                throw new EOFException("connection closed after " + off + " of " + buf.length + " bytes");
            }
            off += n;
        }
        return buf;
    }
}
