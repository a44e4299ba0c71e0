import { describe, expect, it } from "vitest";
import { coldStartRounds } from "../../src/predict/cold-start.js";
import { countMentions, highestOrdinal, listShape } from "../../src/predict/features/counts.js";
import { extractFeatures } from "../../src/predict/features/index.js";
import {
  imperativeVerbs,
  questionCount,
  stepConjunctions,
  toolMentions,
} from "../../src/predict/features/steps.js";
import { identifierWords, MAX_SCAN_CHARS, scanText } from "../../src/predict/features/text.js";
import { describeToolSet, ToolSetCache } from "../../src/predict/features/tool-set.js";
import type { ToolSchema } from "../../src/predict/types.js";

const calculator: ToolSchema = {
  name: "calculator",
  description: "Evaluate an arithmetic expression",
  parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
};
const wiki: ToolSchema = {
  name: "search_wikipedia",
  description: "Search Wikipedia and return the first paragraph of the best matching article",
  parameters: {
    type: "object",
    properties: { query: { type: "string" }, lang: { enum: ["en", "de"] }, ids: { type: "array" } },
  },
};

const values = (text: string) => countMentions(scanText(text)).map((m) => m.value);

describe("scanText()", () => {
  it("tokenises words, digits and operators, and counts punctuation and bullets", () => {
    const scanned = scanText("Hi, what is (3+4)*2?\n- one\n- two\n1. three");
    expect(scanned.tokens).toEqual([
      "hi",
      ",",
      "what",
      "is",
      "(",
      "3",
      "+",
      "4",
      ")",
      "*",
      "2",
      ".",
      "-",
      "one",
      "-",
      "two",
      "1",
      "three",
    ]);
    expect(scanned.commas).toBe(1);
    expect(scanned.questionMarks).toBe(1);
    expect(scanned.bulletLines).toBe(3);
  });

  it("bounds the scanned text but reports the full length", () => {
    const scanned = scanText("word ".repeat(10_000));
    expect(scanned.chars).toBe(50_000);
    expect(scanned.tokens.length).toBeLessThanOrEqual(MAX_SCAN_CHARS / 5 + 1);
  });

  it("splits identifiers", () => {
    expect(identifierWords("searchWikipedia")).toEqual(["search", "wikipedia"]);
    expect(identifierWords("text-to_speech")).toEqual(["text", "to", "speech"]);
  });
});

describe("countMentions()", () => {
  it("reads numerals and number words that count something", () => {
    expect(values("Compute these 3 expressions")).toEqual([3]);
    expect(values("Look up three cities and two rivers")).toEqual([3, 2]);
    expect(values("do both tasks")).toEqual([2]);
  });

  it("ignores numbers inside expressions, quantities and connectives", () => {
    expect(values("What is (3+4)*2 and 17/4")).toEqual([]);
    expect(values("I paid 250 dollars")).toEqual([]);
    expect(values("add 2 and 3")).toEqual([]);
  });
});

describe("listShape() / highestOrdinal()", () => {
  it("counts bullets, separated items and ands", () => {
    expect(listShape(scanText("Paris, Rome and Oslo"))).toEqual({
      bulletLines: 0,
      separatedItems: 3,
      ands: 1,
    });
    expect(listShape(scanText("a; b; c")).separatedItems).toBe(3);
    expect(listShape(scanText("- a\n- b\n* c\n")).bulletLines).toBe(3);
  });

  it("finds the highest ordinal", () => {
    expect(highestOrdinal(scanText("First open the door, second take the key, third leave"))).toBe(3);
    expect(highestOrdinal(scanText("nothing here"))).toBe(0);
  });
});

describe("stepConjunctions() / questionCount()", () => {
  it("counts step words and two-word connectives", () => {
    expect(
      stepConjunctions(scanText("Open the fridge, then take an apple. After that, heat it; finally eat.")),
    ).toBe(3);
    expect(stepConjunctions(scanText("Just answer"))).toBe(0);
  });

  it("counts question marks", () => {
    expect(questionCount(scanText("Who? What? Why"))).toBe(2);
  });
});

describe("imperativeVerbs() / toolMentions()", () => {
  const tools = describeToolSet([calculator, wiki]);

  it("ties imperative verbs to the bound tools' words", () => {
    expect(imperativeVerbs(scanText("Search for Paris and compute its area"), tools)).toEqual({
      imperatives: 2,
      toolVerbs: 1,
    });
  });

  it("finds tool names and description keywords, plural or not", () => {
    const mentions = toolMentions(scanText("Use the calculator on these expressions about Wikipedia"), tools);
    expect(mentions.nameMentions).toBe(2);
    expect(mentions.descriptionMentions).toBe(1);
  });

  it("finds nothing without tools", () => {
    expect(toolMentions(scanText("calculator"), describeToolSet([])).positions).toEqual([]);
  });
});

describe("describeToolSet() / ToolSetCache", () => {
  it("summarises schemas", () => {
    const info = describeToolSet([wiki, calculator]);
    expect(info.names).toEqual(["calculator", "search_wikipedia"]);
    expect(info.parameters).toBe(4);
    expect(info.requiredParameters).toBe(1);
    expect(info.enumParameters).toBe(1);
    expect(info.arrayParameters).toBe(1);
  });

  it("survives malformed schemas", () => {
    const weird = [{ name: 42, parameters: { properties: "no" } }, null] as unknown as ToolSchema[];
    expect(describeToolSet(weird).count).toBe(2);
  });

  it("caches by array identity and by content", () => {
    const cache = new ToolSetCache();
    const tools = [calculator, wiki];
    const first = cache.get(tools);
    expect(cache.get(tools)).toBe(first);
    expect(cache.get([calculator, wiki])).toBe(first);
    expect(cache.get([calculator])).not.toBe(first);
  });
});

describe("coldStartRounds()", () => {
  const cold = (userPrompt: string, tools: ToolSchema[] = [calculator]) =>
    coldStartRounds(
      extractFeatures({ systemPrompt: "", userPrompt, tools, toolRoundsDone: 0 }, describeToolSet(tools))
        .features,
    );

  it("predicts 0 rounds without tools", () => {
    expect(cold("Compute these 3 expressions", [])).toBe(0);
  });

  it("reads a count near a tool word, then lists, then steps", () => {
    expect(cold("Compute these three expressions one at a time: (3+4)*2, 17/4, 2**10")).toBe(3);
    expect(cold("Please do:\n- 2*2\n- 3*3\n- 4*4\n- 5*5")).toBe(4);
    // A comma list is parallel calls in one round, not rounds (see parallelCallsPerRound()).
    expect(cold("Help with 12*12, 99-42 and 7+1")).toBe(1);
    expect(cold("Take the mug, then clean it, then put it in the cabinet")).toBe(3);
    expect(cold("Hello there")).toBe(1);
  });
});
