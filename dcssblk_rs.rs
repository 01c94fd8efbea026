// SPDX-License-Identifier: GPL-2.0

//! DCSS block device driver: z/VM discontiguous saved segments as block devices.

use kernel::prelude::*;

module! {
    type: DcssblkModule,
    name: "dcssblk_rs",
    authors: ["dcssblk-rs developers"],
    description: "DCSS block device driver (Rust)",
    license: "GPL",
}

struct DcssblkModule;

impl kernel::Module for DcssblkModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(DcssblkModule)
    }
}
