/** Run folders on a local disk or any Hadoop FileSystem, with atomic writes and checkpoint retention. */
package io.srwmspark.workers.store;
