package dev.vmbus.ic;

import java.lang.foreign.GroupLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An IC message in a VMBus packet payload, read and modified in place the way Linux's util drivers do:
 *
 * <pre>
 *   0       4         8       10      12       14      16      18        20        24   25    26   28
 *   +-------+---------+-------+-------+--------+-------+-------+---------+---------+----+-----+----+------
 *   | pipe  | pipe    | fw    | fw    | msg    | msg   | msg   | icmsg   | status  | tx | ic  | -- | body
 *   | flags | msgsize | major | minor | type   | major | minor | size    | (u32)   | id |flags|    |
 *   +-------+---------+-------+-------+--------+-------+-------+---------+---------+----+-----+----+------
 * </pre>
 *
 * The layout is declared once, in {@link #PIPE_HEADER_LAYOUT}, {@link #ICMSG_HDR_LAYOUT} and {@link #LAYOUT}; the
 * offset constants below are read from it. The wrapped array is the packet payload ({@code recvlen} bytes, a
 * multiple of 8 on the guest side). Accessors check bounds against that length, so a short message can never be
 * read past its end. Not thread-safe: one message is touched by one handler at a time.
 */
public final class IcMessage {
    /** {@code vmbuspipe_hdr}: 8 bytes. */
    public static final GroupLayout PIPE_HEADER_LAYOUT = IcLayout.struct(
            IcLayout.U32.withName("flags"),
            IcLayout.U32.withName("msgsize")).withName("vmbuspipe_hdr");
    /** {@code icmsg_hdr}: 20 bytes. */
    public static final GroupLayout ICMSG_HDR_LAYOUT = IcLayout.struct(
            IcLayout.U16.withName("framework_major"),
            IcLayout.U16.withName("framework_minor"),
            IcLayout.U16.withName("icmsgtype"),
            IcLayout.U16.withName("message_major"),
            IcLayout.U16.withName("message_minor"),
            IcLayout.U16.withName("icmsgsize"),
            IcLayout.U32.withName("status"),
            IcLayout.U8.withName("ictransaction_id"),
            IcLayout.U8.withName("icflags"),
            IcLayout.bytes(2).withName("reserved")).withName("icmsg_hdr");
    /** Both headers, as every IC message starts; a service's layout begins with this as its {@code header}. */
    public static final GroupLayout LAYOUT = IcLayout.struct(
            PIPE_HEADER_LAYOUT.withName("pipe"), ICMSG_HDR_LAYOUT.withName("icmsg"));

    public static final int PIPE_FLAGS = IcLayout.offset(LAYOUT, "pipe", "flags");
    public static final int PIPE_MSGSIZE = IcLayout.offset(LAYOUT, "pipe", "msgsize");
    public static final int FRAMEWORK_MAJOR = IcLayout.offset(LAYOUT, "icmsg", "framework_major");
    public static final int FRAMEWORK_MINOR = IcLayout.offset(LAYOUT, "icmsg", "framework_minor");
    public static final int MSGTYPE = IcLayout.offset(LAYOUT, "icmsg", "icmsgtype");
    public static final int MESSAGE_MAJOR = IcLayout.offset(LAYOUT, "icmsg", "message_major");
    public static final int MESSAGE_MINOR = IcLayout.offset(LAYOUT, "icmsg", "message_minor");
    public static final int MSGSIZE = IcLayout.offset(LAYOUT, "icmsg", "icmsgsize");
    public static final int STATUS = IcLayout.offset(LAYOUT, "icmsg", "status");
    public static final int TRANSACTION_ID = IcLayout.offset(LAYOUT, "icmsg", "ictransaction_id");
    public static final int FLAGS = IcLayout.offset(LAYOUT, "icmsg", "icflags");
    /** {@code ICMSG_HDR}: pipe header (8) plus {@code icmsg_hdr} (20). */
    public static final int HEADER_LENGTH = IcLayout.size(LAYOUT);
    /** What the pipe header's {@code msgsize} counts besides the body: the {@code icmsg_hdr}. */
    static final int ICMSG_HDR_LENGTH = IcLayout.size(ICMSG_HDR_LAYOUT);

    private final byte[] buffer;
    private final ByteBuffer view;

    public IcMessage(byte[] buffer) {
        this.buffer = buffer;
        this.view = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A new request: pipe header {DATA, 20 + body}, IC header with the given fields, zeroed body. */
    public static IcMessage request(int msgType, IcVersion framework, IcVersion message, int bodyLength,
                                    int transactionId) {
        IcMessage m = new IcMessage(new byte[HEADER_LENGTH + bodyLength]);
        m.view.putInt(PIPE_FLAGS, IcConstants.PIPE_DATA);
        m.view.putInt(PIPE_MSGSIZE, ICMSG_HDR_LENGTH + bodyLength);
        m.putU16(FRAMEWORK_MAJOR, framework.major());
        m.putU16(FRAMEWORK_MINOR, framework.minor());
        m.putU16(MSGTYPE, msgType);
        m.putU16(MESSAGE_MAJOR, message.major());
        m.putU16(MESSAGE_MINOR, message.minor());
        m.putU16(MSGSIZE, bodyLength);
        m.buffer[TRANSACTION_ID] = (byte) transactionId;
        m.buffer[FLAGS] = (byte) IcConstants.FLAGS_HOST_REQUEST;
        return m;
    }

    public byte[] bytes() {
        return buffer;
    }

    public int length() {
        return buffer.length;
    }

    /** Whether the whole header is present (Linux drops shorter messages without a reply). */
    public boolean hasHeader() {
        return buffer.length >= HEADER_LENGTH;
    }

    /** Whether {@code n} body bytes are present. */
    public boolean hasBody(int n) {
        return buffer.length >= HEADER_LENGTH + n;
    }

    public int msgType() {
        return u16(MSGTYPE);
    }

    public int msgSize() {
        return u16(MSGSIZE);
    }

    public void msgSize(int size) {
        putU16(MSGSIZE, size);
    }

    public IcStatus status() {
        return IcStatus.of(view.getInt(STATUS));
    }

    public void status(IcStatus status) {
        view.putInt(STATUS, status.value());
    }

    public int flags() {
        return buffer[FLAGS] & 0xFF;
    }

    public void flags(int flags) {
        buffer[FLAGS] = (byte) flags;
    }

    public int transactionId() {
        return buffer[TRANSACTION_ID] & 0xFF;
    }

    public IcVersion frameworkVersion() {
        return new IcVersion(u16(FRAMEWORK_MAJOR), u16(FRAMEWORK_MINOR));
    }

    public IcVersion messageVersion() {
        return new IcVersion(u16(MESSAGE_MAJOR), u16(MESSAGE_MINOR));
    }

    public int pipeFlags() {
        return view.getInt(PIPE_FLAGS);
    }

    public int pipeMsgSize() {
        return view.getInt(PIPE_MSGSIZE);
    }

    /** Reads a little-endian u16 at an absolute payload offset. */
    public int u16(int offset) {
        return view.getShort(offset) & 0xFFFF;
    }

    public void putU16(int offset, int value) {
        view.putShort(offset, (short) value);
    }

    public int u32(int offset) {
        return view.getInt(offset);
    }

    public void putU32(int offset, int value) {
        view.putInt(offset, value);
    }

    public long u64(int offset) {
        return view.getLong(offset);
    }

    public void putU64(int offset, long value) {
        view.putLong(offset, value);
    }

    /** Whether a reply is well formed for a host: TRANSACTION and RESPONSE set, transaction id as sent. */
    public boolean isResponseTo(int transactionId) {
        return hasHeader() && (flags() & IcConstants.FLAGS_GUEST_RESPONSE) == IcConstants.FLAGS_GUEST_RESPONSE
                && transactionId() == transactionId && hasBody(msgSize());
    }
}
