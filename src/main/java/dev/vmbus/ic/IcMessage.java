package dev.vmbus.ic;

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
 * The wrapped array is the packet payload ({@code recvlen} bytes, a multiple of 8 on the guest side).
 * Accessors check bounds against that length, so a short message can never be read past its end.
 */
public final class IcMessage {
    public static final int PIPE_FLAGS = 0;
    public static final int PIPE_MSGSIZE = 4;
    public static final int FRAMEWORK_MAJOR = 8;
    public static final int FRAMEWORK_MINOR = 10;
    public static final int MSGTYPE = 12;
    public static final int MESSAGE_MAJOR = 14;
    public static final int MESSAGE_MINOR = 16;
    public static final int MSGSIZE = 18;
    public static final int STATUS = 20;
    public static final int TRANSACTION_ID = 24;
    public static final int FLAGS = 25;
    /** {@code ICMSG_HDR}: pipe header (8) plus {@code icmsg_hdr} (20). */
    public static final int HEADER_LENGTH = 28;

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
        m.view.putInt(PIPE_MSGSIZE, HEADER_LENGTH - 8 + bodyLength);
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

    public int status() {
        return view.getInt(STATUS);
    }

    public void status(int status) {
        view.putInt(STATUS, status);
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
