'use client';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { type ApiError, toApiError } from '@/app/components/post-json';

/**
 * The state of an administrator's file-upload form: the chosen file, busy while sending, then the
 * answer or the error, and the page's server data refreshed after a success.
 */
export function useFileUpload<T>(send: (file: File) => Promise<T>) {
  const router = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await send(file));
      router.refresh();
    } catch (err) {
      setError(toApiError(err, String(err)));
    } finally {
      setBusy(false);
    }
  }

  return { file, setFile, busy, result, error, submit };
}
