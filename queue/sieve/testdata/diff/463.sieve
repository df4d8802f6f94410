# 463: allof with a single test
require "fileinto";
if allof (true) { fileinto "One"; }
