# 421: header with two occurrences, :is the second
require "fileinto";
if header :is "x-dup" "two" { fileinto "Two"; }
