import express from "express"; export const x: number = typeof express === "function" ? 1 : 0;
