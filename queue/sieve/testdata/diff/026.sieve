# 026: stop inside if ends the script
require "fileinto";
if true { fileinto "First"; stop; }
fileinto "Never";
