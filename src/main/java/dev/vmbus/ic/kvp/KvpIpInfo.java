package dev.vmbus.ic.kvp;

import dev.vmbus.ic.IcLayout;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.MalformedFieldException;
import dev.vmbus.ic.Utf16Field;

import java.lang.foreign.GroupLayout;

/**
 * The string form of KVP's GET_IP_INFO / SET_IP_INFO (service versions up to 4.0, the only form Linux knows),
 * spec ic-protocols.md section 3.4.2. The struct is 2-aligned, so after {@code op}, {@code pool} the fields
 * start at 30:
 *
 * <pre>
 *   30 adapter_id WCHAR[128] | 286 addr_family u8 | 287 dhcp_enabled u8 | 288 ip_addr WCHAR[1024]
 *   2336 sub_net WCHAR[1024] | 4384 gate_way WCHAR[512] | 5408 dns_addr WCHAR[1024] | 7456 end
 * </pre>
 *
 * Lists inside the strings are separated by ';'.
 *
 * @param adapterId  GET: the NIC's MAC address; SET: the NIC's VMBus instance GUID as {@code {…}}
 * @param family     bit 0 IPv4, bit 1 IPv6
 * @param dhcp       whether DHCP is (to be) enabled
 * @param addresses  {@code ip_addr}
 * @param subnets    {@code sub_net}: IPv4 dotted masks, IPv6 "/prefix"
 * @param gateways   {@code gate_way}
 * @param dns        {@code dns_addr}
 */
public record KvpIpInfo(String adapterId, int family, boolean dhcp, String addresses, String subnets,
                        String gateways, String dns) {
    /** {@code hv_kvp_ip_msg}, string form: 2-aligned, so the fields follow operation and pool directly. */
    public static final GroupLayout LAYOUT = IcLayout.message("hv_kvp_ip_msg",
            IcLayout.U8.withName("operation"),
            IcLayout.U8.withName("pool"),
            IcLayout.bytes(2 * 128).withName("adapter_id"),
            IcLayout.U8.withName("addr_family"),
            IcLayout.U8.withName("dhcp_enabled"),
            IcLayout.bytes(2 * 1024).withName("ip_addr"),
            IcLayout.bytes(2 * 1024).withName("sub_net"),
            IcLayout.bytes(2 * 512).withName("gate_way"),
            IcLayout.bytes(2 * 1024).withName("dns_addr"));

    public static final int ADAPTER_ID = IcLayout.offset(LAYOUT, "adapter_id");
    public static final int ADDR_FAMILY = IcLayout.offset(LAYOUT, "addr_family");
    public static final int DHCP_ENABLED = IcLayout.offset(LAYOUT, "dhcp_enabled");
    public static final int IP_ADDR = IcLayout.offset(LAYOUT, "ip_addr");
    public static final int SUB_NET = IcLayout.offset(LAYOUT, "sub_net");
    public static final int GATE_WAY = IcLayout.offset(LAYOUT, "gate_way");
    public static final int DNS_ADDR = IcLayout.offset(LAYOUT, "dns_addr");
    public static final int END = IcLayout.size(LAYOUT);
    /** The request body a host sends for ops 4 and 5 (OpenVMM's {@code KvpMessage2} size). */
    public static final int REQUEST_BODY_LENGTH = END - IcMessage.HEADER_LENGTH;

    public static final int FAMILY_IPV4 = 1;
    public static final int FAMILY_IPV6 = 2;

    static final int ADAPTER_BYTES = ADDR_FAMILY - ADAPTER_ID;
    static final int IP_BYTES = SUB_NET - IP_ADDR;
    static final int SUBNET_BYTES = GATE_WAY - SUB_NET;
    static final int GATEWAY_BYTES = DNS_ADDR - GATE_WAY;
    static final int DNS_BYTES = END - DNS_ADDR;

    /** Reads every field; a string without its NUL or with broken UTF-16 is malformed. */
    public static KvpIpInfo read(IcMessage m) throws MalformedFieldException {
        byte[] b = m.bytes();
        return new KvpIpInfo(Utf16Field.decode(b, ADAPTER_ID, ADAPTER_BYTES), b[ADDR_FAMILY] & 0xFF,
                b[DHCP_ENABLED] != 0, Utf16Field.decode(b, IP_ADDR, IP_BYTES),
                Utf16Field.decode(b, SUB_NET, SUBNET_BYTES), Utf16Field.decode(b, GATE_WAY, GATEWAY_BYTES),
                Utf16Field.decode(b, DNS_ADDR, DNS_BYTES));
    }

    /** Whether every string fits its field with its NUL. */
    public boolean fits() {
        return adapterId.length() < ADAPTER_BYTES / 2 && addresses.length() < IP_BYTES / 2
                && subnets.length() < SUBNET_BYTES / 2 && gateways.length() < GATEWAY_BYTES / 2
                && dns.length() < DNS_BYTES / 2;
    }

    /** Writes every field (strings NUL-terminated; bytes after each NUL left as they were). */
    public void write(IcMessage m) {
        if (!fits()) {
            throw new IllegalArgumentException("IP info does not fit the string-form fields: " + this);
        }
        byte[] b = m.bytes();
        Utf16Field.encode(adapterId, b, ADAPTER_ID, ADAPTER_BYTES / 2 - 1);
        b[ADDR_FAMILY] = (byte) family;
        b[DHCP_ENABLED] = (byte) (dhcp ? 1 : 0);
        Utf16Field.encode(addresses, b, IP_ADDR, IP_BYTES / 2 - 1);
        Utf16Field.encode(subnets, b, SUB_NET, SUBNET_BYTES / 2 - 1);
        Utf16Field.encode(gateways, b, GATE_WAY, GATEWAY_BYTES / 2 - 1);
        Utf16Field.encode(dns, b, DNS_ADDR, DNS_BYTES / 2 - 1);
    }

    /** Fills a host request for {@code operation} (4 or 5) into a new request of {@link #REQUEST_BODY_LENGTH}. */
    public void fill(IcMessage m, KvpOperation operation) {
        m.bytes()[KvpMessage.OPERATION] = (byte) operation.code();
        m.bytes()[KvpMessage.POOL] = 0;
        write(m);
    }
}
