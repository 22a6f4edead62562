export * from '@peculiar/x509';
