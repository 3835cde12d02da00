# SPDX-License-Identifier: MIT
"""gen-source.py N K OUT.xb OUT.dts - a synthetic config of N VMs with K
vm-data keys each, and a device tree with the same number of nodes and
properties (the same bytes of names and values, near enough), so that
xenbakec and dtc parse, check and emit comparable inputs.
    /usr/bin/python3 bench/gen-source.py 100000 10 big.xb big.dts
"""
import sys

GROUP = 100


def main():
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
