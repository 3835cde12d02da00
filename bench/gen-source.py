# SPDX-License-Identifier: MIT
"""gen-source.py N K OUT.xb OUT.dts - a synthetic config of N VMs with K
vm-data keys each, and a device tree with the same number of nodes and
properties (the same bytes of names and values, near enough), so that
xenbakec and dtc parse, check and emit comparable inputs.
    /usr/bin/python3 bench/gen-source.py 100000 10 big.xb big.dts

--loop LOOP.xb also writes the same N VMs x K keys as one for loop (a few
lines that the compiler expands to as many blocks and statements):
    /usr/bin/python3 bench/gen-source.py --loop loop.xb 100000 10 big.xb big.dts
"""
import sys

GROUP = 100


def write_loop(path, n, k):
    width = max(5, len(str(n - 1)))
    with open(path, "w") as xb:
        xb.write("# %d VMs x %d keys, as a for\n" % (n, k))
        xb.write("for i in %0*d..%d {\n" % (width, 0, n - 1))
        xb.write('    vm "vm-${i}" {\n')
        for j in range(k):
            xb.write('        vm-data "key-%02d" = "value-${i}-%d";\n' % (j, j))
        xb.write("    }\n}\n")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--loop"]:
        loop, args = args[1], args[2:]
        write_loop(loop, int(args[0]), int(args[1]))
        sys.argv[1:] = args
    n, k = int(sys.argv[1]), int(sys.argv[2])
    with open(sys.argv[3], "w") as xb:
        xb.write("# %d VMs x %d keys\n" % (n, k))
        for i in range(n):
            xb.write('vm "vm-%05d" {\n' % i)
            for j in range(k):
                xb.write('    vm-data "key-%02d" = "value-%d-%d";\n' % (j, i, j))
            xb.write("}\n")
    # dtc's grammar recurses once per sibling node and stops near 10,000:
    # the VMs go in groups of 100 (N/100 more nodes, a 1% difference)
    with open(sys.argv[4], "w") as dts:
        dts.write("/dts-v1/;\n/ {\n")
        for g in range(0, n, GROUP):
            dts.write("    group-%05d {\n" % (g // GROUP))
            for i in range(g, min(n, g + GROUP)):
                dts.write("        vm-%05d {\n" % i)
                for j in range(k):
                    dts.write('            key-%02d = "value-%d-%d";\n' % (j, i, j))
                dts.write("        };\n")
            dts.write("    };\n")
        dts.write("};\n")


if __name__ == "__main__":
    main()
