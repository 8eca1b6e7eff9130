//! A few tables of our own, beside WikiSQL's: WikiSQL's tables rarely hold prices, ages, dates
//! written as text or categories with several rows each, which many family questions need. Each
//! one names what its rows are, and writes its dates in a different form (ISO, `4 March 2024`,
//! `01/15/2024` month first, `Mar 4, 2024`, `14.04.2024` day first). The facts are made up
//! (the mountains excepted): the questions need plausible tables, not true ones.

use crate::profile::Noun;
use sqlcoder_data::types::{Cell, ColumnType, Table};

/// An own table and what its rows are called.
pub struct OwnTable {
    pub table: Table,
    pub noun: Noun,
}

/// Every own table, in a fixed order.
pub fn own_tables() -> Vec<OwnTable> {
    [MOUNTAINS, FILMS, CONCERTS, DOGS, MISSIONS, BOOKS, MARATHONS]
        .iter()
        .map(OwnSource::table)
        .collect()
}

/// A table written compactly: `types` has one letter per column (`T` text, `R` real), `text` a
/// header line and one line per row, cells separated by `|`.
struct OwnSource {
    id: &'static str,
    /// What a row is called (singular, plural) and whether rows are people.
    noun: (&'static str, &'static str, bool),
    types: &'static str,
    text: &'static str,
}

impl OwnSource {
    fn table(&self) -> OwnTable {
        let types: Vec<ColumnType> = self
            .types
            .chars()
            .map(|t| {
                if t == 'R' {
                    ColumnType::Real
                } else {
                    ColumnType::Text
                }
            })
            .collect();
        let mut lines = self.text.lines();
        let header: Vec<&str> = lines.next().expect("a header line").split('|').collect();
        let rows = lines
            .map(|line| {
                line.split('|')
                    .zip(&types)
                    .map(|(cell, ty)| match ty {
                        ColumnType::Real => Cell::Number(cell.parse().expect("a number cell")),
                        ColumnType::Text => Cell::from(cell),
                    })
                    .collect()
            })
            .collect();
        let (one, many, person) = self.noun;
        OwnTable {
            table: Table::new(self.id, &header, &types, rows),
            noun: Noun::new(one, many, person),
        }
    }
}

const MOUNTAINS: OwnSource = OwnSource {
    id: "augment-mountains",
    noun: ("mountain", "mountains", false),
    types: "TTTRR",
    text: "\
Mountain|Country|Range|Height (m)|First ascent
Everest|Nepal|Himalaya|8849|1953
K2|Pakistan|Karakoram|8611|1954
Kangchenjunga|Nepal|Himalaya|8586|1955
Lhotse|Nepal|Himalaya|8516|1956
Makalu|Nepal|Himalaya|8485|1955
Cho Oyu|China|Himalaya|8188|1954
Dhaulagiri|Nepal|Himalaya|8167|1960
Manaslu|Nepal|Himalaya|8163|1956
Nanga Parbat|Pakistan|Himalaya|8126|1953
Annapurna|Nepal|Himalaya|8091|1950
Gasherbrum I|Pakistan|Karakoram|8080|1958
Broad Peak|Pakistan|Karakoram|8051|1957
Gasherbrum II|Pakistan|Karakoram|8035|1956
Shishapangma|China|Himalaya|8027|1964",
};

const FILMS: OwnSource = OwnSource {
    id: "augment-films",
    noun: ("film", "films", false),
    types: "TTTTRRR",
    text: "\
Title|Director|Genre|Release date|Runtime (minutes)|Budget ($ million)|Rating
The Salt Road|Mira Okafor|Drama|2019-03-08|124|18|7.4
Paper Lanterns|Tomas Reyes|Romance|2020-02-14|101|9.5|6.8
Iron Harbor|Mira Okafor|Thriller|2021-10-29|117|42|7.1
The Quiet Orbit|Hana Sato|Science fiction|2018-07-20|139|85|8.2
Little Giants|Tomas Reyes|Comedy|2022-06-03|94|12|6.1
Northern Lights Hotel|Ella Brandt|Comedy|2017-12-01|98|7|6.5
Glass Garden|Hana Sato|Drama|2023-04-21|131|25|7.9
Deep Current|Ella Brandt|Thriller|2016-09-16|109|30|6.9
A Map of Winter|Mira Okafor|Drama|2024-01-12|142|22|8.0
Static Bloom|Hana Sato|Science fiction|2020-11-06|126|120|7.3
The Last Ferry|Joon Park|Thriller|2022-03-25|112|38|7.6
Sunday Machines|Joon Park|Comedy|2019-08-30|97|15|5.9
Red Meridian|Ella Brandt|Western|2021-05-14|121|55|6.6
Borrowed Light|Tomas Reyes|Romance|2023-02-10|106|11|7.0",
};

const CONCERTS: OwnSource = OwnSource {
    id: "augment-concerts",
    noun: ("concert", "concerts", false),
    types: "TTTTRR",
    text: "\
Artist|City|Venue|Date|Attendance|Ticket price
Lena Vos|Lisbon|Altice Arena|4 March 2024|18200|65
The Night Gardens|Madrid|WiZink Center|12 March 2024|15400|58
Lena Vos|Madrid|WiZink Center|15 March 2024|16900|70
Orchestra Nova|Vienna|Musikverein|21 February 2024|1700|120
The Night Gardens|Lisbon|Coliseu|2 April 2024|3900|45
Kofi Mensah|Berlin|Uber Arena|19 April 2024|14100|80
Lena Vos|Berlin|Uber Arena|27 April 2024|16500|75
Orchestra Nova|Berlin|Philharmonie|3 May 2024|2400|95
Kofi Mensah|Vienna|Stadthalle|11 May 2024|9800|68
The Night Gardens|Berlin|Columbiahalle|18 May 2024|3500|49
Kofi Mensah|Madrid|Palacio Vistalegre|6 June 2024|11200|62
Orchestra Nova|Lisbon|Gulbenkian Hall|14 June 2024|1200|85
Lena Vos|Vienna|Stadthalle|29 June 2024|13300|72",
};

const DOGS: OwnSource = OwnSource {
    id: "augment-shelter-dogs",
    noun: ("dog", "dogs", false),
    types: "TTRRTT",
    text: "\
name|breed|age|weight_kg|arrival_date|status
Biscuit|Beagle|3|11.2|01/15/2024|adopted
Luna|Labrador|5|29.5|02/03/2024|available
Pepper|Border Collie|2|17.8|02/21/2024|adopted
Max|Labrador|8|33.1|11/30/2023|available
Nala|Greyhound|4|27.4|12/12/2023|adopted
Rocky|Boxer|6|30.2|03/02/2024|reserved
Daisy|Beagle|1|8.9|03/17/2024|adopted
Bruno|Boxer|9|31.7|10/05/2023|available
Willow|Greyhound|7|28.8|01/28/2024|adopted
Otis|Labrador|10|35.0|09/19/2023|available
Mabel|Border Collie|11|19.3|04/08/2024|available
Scout|Beagle|12|12.6|04/22/2024|adopted",
};

const MISSIONS: OwnSource = OwnSource {
    id: "augment-space-missions",
    noun: ("mission", "missions", false),
    types: "TTTTRR",
    text: "\
Mission|Agency|Destination|Launch date|Crew|Duration (days)
Aurora 1|ESA|Low Earth orbit|Mar 4, 2019|3|12
Tianlu 2|CNSA|Moon|Jul 18, 2020|0|23
Kestrel|NASA|Mars|Sep 9, 2020|0|210
Aurora 2|ESA|Low Earth orbit|Feb 11, 2021|4|30
Harbinger|NASA|Moon|Nov 16, 2022|4|25
Vayu 1|ISRO|Low Earth orbit|Aug 23, 2022|2|7
Tianlu 3|CNSA|Moon|May 3, 2023|0|53
Selene Gate|JAXA|Moon|Jan 19, 2023|0|41
Aurora 3|ESA|Low Earth orbit|Oct 2, 2023|3|60
Kestrel II|NASA|Mars|Apr 28, 2024|0|240
Vayu 2|ISRO|Low Earth orbit|Jun 14, 2024|3|14
Hayate|JAXA|Asteroid|Dec 6, 2024|0|1460",
};

const BOOKS: OwnSource = OwnSource {
    id: "augment-books",
    noun: ("book", "books", false),
    types: "TTTRRR",
    text: "\
Title|Author|Genre|Published|Pages|Price
The Lantern Keeper|Ada Quinn|Mystery|2015|312|14.99
Rivers of Copper|Samuel Achebe|Historical|2009|548|19.5
Small Hours|Ada Quinn|Mystery|2018|276|12.99
The Cartographer's Daughter|Lucia Ferro|Historical|2012|432|17.25
Signal and Static|Noor Haddad|Science fiction|2020|389|15.99
Winter Orchard|Lucia Ferro|Literary|2016|224|13.5
The Ninth Moon|Noor Haddad|Science fiction|2022|467|18.99
A Quiet Inheritance|Samuel Achebe|Literary|2019|301|16
Murder at Low Tide|Ada Quinn|Mystery|2021|298|11.99
Glass Cities|Noor Haddad|Science fiction|2011|512|21
The Weaver's Year|Lucia Ferro|Historical|2023|356|22.5
Salt and Iron|Samuel Achebe|Historical|2014|605|24.99",
};

const MARATHONS: OwnSource = OwnSource {
    id: "augment-marathons",
    noun: ("runner", "runners", true),
    types: "TTTTTR",
    text: "\
Runner|Country|Race|Race date|Finish time|Rank
Abebe Tadesse|Ethiopia|Rotterdam|14.04.2024|2:05:12|1
Grace Wanjiru|Kenya|Rotterdam|14.04.2024|2:19:40|3
Lukas Berger|Germany|Berlin|29.09.2024|2:07:55|4
Mei Tanaka|Japan|Tokyo|03.03.2024|2:21:08|6
Daniel Kiprop|Kenya|Berlin|29.09.2024|2:03:47|2
Sofia Alves|Portugal|Lisbon|13.10.2024|2:26:31|5
Haile Mekonnen|Ethiopia|Tokyo|03.03.2024|2:04:29|7
Ruth Chebet|Kenya|London|21.04.2024|2:18:22|8
Tom Hughes|United Kingdom|London|21.04.2024|2:09:15|9
Yuki Mori|Japan|Berlin|29.09.2024|2:06:50|10
Amina Yusuf|Ethiopia|London|21.04.2024|2:17:58|11
Pedro Costa|Portugal|Lisbon|13.10.2024|2:10:44|12",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::roles::Role;
    use sqlcoder_data::dates::DateFormat;
    use sqlcoder_data::validate::check_table;

    #[test]
    fn own_tables_are_well_formed_and_have_their_roles() {
        let tables = own_tables();
        for own in &tables {
            check_table(&own.table).unwrap_or_else(|e| panic!("{}: {e}", own.table.id));
        }
        let roles = |i: usize| {
            let p = Profile::new(&tables[i].table, Some(tables[i].noun.clone()), 0);
            p.columns.iter().map(|c| c.role).collect::<Vec<_>>()
        };
        assert_eq!(roles(0)[3..], [Role::Height, Role::Year]);
        assert_eq!(
            roles(1)[3..6],
            [Role::Date(DateFormat::Iso), Role::Length, Role::Money]
        );
        assert_eq!(
            roles(2)[3..],
            [
                Role::Date(DateFormat::DayMonthName),
                Role::Tally,
                Role::Price
            ]
        );
        assert_eq!(
            roles(3)[2..5],
            [
                Role::Age,
                Role::Weight,
                Role::Date(DateFormat::MonthDayYear('/'))
            ]
        );
        assert_eq!(roles(4)[3], Role::Date(DateFormat::MonthNameDay));
        assert_eq!(roles(5)[3..], [Role::Year, Role::Length, Role::Price]);
        assert_eq!(roles(6)[3], Role::Date(DateFormat::DayMonthYear('.')));
    }
}
