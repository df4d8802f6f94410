# 516: reject with a non-ASCII reason
require "reject";
reject "Abgelehnt: Grüße";
