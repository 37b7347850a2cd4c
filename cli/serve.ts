export async function run(): Promise<number> {
  await import('../server/main.ts');
  return 0;
}
