// The code list behind tillit/enrolment/country.h: ISO 3166-1 alpha-3 as published in the
// Debian iso-codes package 4.15 (249 codes), plus the ICAO Doc 9303 Part 3 §5 additions.
// Keep both lists sorted: lookup is a binary search.
#include "tillit/enrolment/country.h"

#include <algorithm>
#include <array>

#include "text.h"

namespace tillit::enrolment {
namespace {

// clang-format off
constexpr std::array<std::string_view, 249> kIso3166Alpha3 = {
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF", "ATG",
    "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS", "BIH", "BLM",
    "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF", "CAN", "CCK", "CHE",
    "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR",
    "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH", "ESP",
    "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBR", "GEO", "GGY", "GHA", "GIB",
    "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD",
    "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA",
    "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN",
    "LBR", "LBY", "LCA", "LIE", "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA",
    "MDG", "MDV", "MEX", "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR",
    "MTQ", "MUS", "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR",
    "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL", "PRI", "PRK",
    "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP", "SGS",
    "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR", "SVK", "SVN",
    "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON",
    "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT",
    "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
};

// ICAO-only codes (Doc 9303 Part 3 §5). RKS is the code Kosovo's own documents carry;
// UNK is for UNMIK-issued documents of Kosovo residents.
constexpr std::array<std::string_view, 25> kIcaoAdditions = {
    "EUE", "GBD", "GBN", "GBO", "GBP", "GBS", "RKS", "UNA", "UNK", "UNO", "XBA", "XCC", "XCE",
    "XCO", "XDC", "XEC", "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX",
};
// clang-format on

static_assert(std::is_sorted(kIso3166Alpha3.begin(), kIso3166Alpha3.end()));
static_assert(std::is_sorted(kIcaoAdditions.begin(), kIcaoAdditions.end()));

bool InSorted(std::string_view code, const auto& list) {
  return std::binary_search(list.begin(), list.end(), code);
}

}  // namespace

bool IsKnownCountryCode(std::string_view code) {
  if (code.size() != 3) return false;
  return InSorted(code, kIso3166Alpha3) || InSorted(code, kIcaoAdditions);
}

bool IsHolderStatusCode(std::string_view code) {
  return code == "XXA" || code == "XXB" || code == "XXC" || code == "XXX";
}

Result<std::string> ParseCountryCode(std::string_view text, std::string_view field) {
  std::string_view trimmed = internal::TrimSpaces(text);
  while (!trimmed.empty() && trimmed.back() == '<') trimmed.remove_suffix(1);
  std::string code = internal::AsciiUpper(trimmed);
  if (code == "D") code = "DEU";  // ICAO 9303 Part 3 §5: Germany's MRZ code
  if (!IsKnownCountryCode(code)) {
    return internal::FieldError(field,
                                "must be an ICAO 9303 three-letter code such as SWE, SYR or XXA");
  }
  return code;
}

}  // namespace tillit::enrolment
