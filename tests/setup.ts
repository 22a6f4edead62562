// @peculiar/x509 (via tsyringe) needs the reflect polyfill before anything imports it.
import 'reflect-metadata';
