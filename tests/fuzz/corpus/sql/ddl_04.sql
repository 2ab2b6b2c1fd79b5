DROP TABLE "Mixed Case", uppername;
