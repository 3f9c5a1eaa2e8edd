import { describe, expect, it } from "vitest";
import { fill, missingValue, variablesIn } from "./vars";

describe("variables", () => {
  it("finds, fills and reports missing values", () => {
    expect(variablesIn("Hi {{name}}, {{ name }} from {{city}}", "in {{lang}}")).toEqual(["name", "city", "lang"]);
    expect(fill("Hi {{name}} in {{ city }}", { name: "Ada", city: "Paris" })).toBe("Hi Ada in Paris");
    expect(missingValue(["name", "city"], { name: "Ada", city: " " })).toBe("city");
    expect(missingValue(["name"], { name: "Ada" })).toBeNull();
  });
});

