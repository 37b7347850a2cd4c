import type { DeviceFacts } from '../measurement.ts';

/** Vendor device ids live in one system per vendor, so ids of two vendors never collide. */
export function vendorDeviceSystem(vendor: string): string {
  return `urn:vitalchain:device-id:${vendor}`;
}

export function vendorDevice(vendor: string, id: string): DeviceFacts {
  return { identifier: { system: vendorDeviceSystem(vendor), value: id } };
}

/** Vendor account ids (Dexcom userId) as patient identifiers, one system per vendor. */
export function vendorPatientSystem(vendor: string): string {
  return `urn:vitalchain:patient-id:${vendor}`;
}
