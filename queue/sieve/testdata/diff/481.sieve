# 481: discard with an argument is invalid
discard "now";
