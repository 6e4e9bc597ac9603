/* SPDX-License-Identifier: MIT */
/*
 * .kconfig externs for test_kconfig: a strong int, a weak one no config
 * has, and LINUX_KERNEL_VERSION, read by one program.
 */
#define __kconfig __attribute__((section(".kconfig")))
#define __weak    __attribute__((weak))

extern int CONFIG_HZ __kconfig;
extern int CONFIG_NOT_IN_ANY_CONFIG __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

__attribute__((section("socket/externs"), used)) int externs(void *ctx)
{
        (void)ctx;
        return CONFIG_HZ + CONFIG_NOT_IN_ANY_CONFIG + (int)LINUX_KERNEL_VERSION;
}
