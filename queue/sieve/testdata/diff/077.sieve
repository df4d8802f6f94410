# 077: address group undisclosed-recipients:; :matches *
require "fileinto";
if address :matches "to" "*" { fileinto "Star"; } else { fileinto "NoStar"; }
